// Issue 4 targets: dtwMany at least 3× the TypeScript reference (1,000 series × 128), Lyapunov on
// 1,000 points under 2 ms, the worker pool through 10,000 series × 200 under 2 s on 2 cores; plus
// the .wasm size and our figures beside the ones the MidStream crates report.
import { statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { AnalysisPool, classifyAttractor, dtw, dtwMany, lyapunov } from '../../dist/src/analysis/index.js'
import { dtwReference, lyapunovReference } from '../unit/analysis/reference.js'
import { logisticMap, seeded, sineWave, uniformNoise } from '../unit/analysis/_series.js'
import { medianMs, report } from './_bench-tools.js'

function randomSeries(length: number, seed: number): Float64Array {
  const random = seeded(seed)
  return Float64Array.from({ length }, () => 100 + 40 * random())
}

async function dtwManyBench(): Promise<number> {
  const query = randomSeries(128, 1)
  const series = Array.from({ length: 1_000 }, (_, k) => randomSeries(128, 10 + k))
  const ours = await medianMs(15, () => dtwMany(query, series))
  const reference = await medianMs(5, () => series.map((s) => dtwReference(query, s)))
  const ratio = reference / ours
  report('dtwMany: 1 query × 1,000 series of 128 (full DTW)', `${ours.toFixed(1)} ms`, '≥ 3× reference', ratio >= 3)
  console.log(`      TypeScript reference ${reference.toFixed(1)} ms; ratio ${ratio.toFixed(1)}× faster`)
  const banded = await medianMs(15, () => dtwMany(query, series, { window: 13 }))
  console.log(`      with a 10% Sakoe-Chiba band: ${banded.toFixed(1)} ms`)
  return ours
}

async function lyapunovBench(): Promise<void> {
  const chaotic = logisticMap(1_000, 0.3141)
  const noise = uniformNoise(1_000, 7)
  const ours = await medianMs(101, () => lyapunov(chaotic))
  const onNoise = await medianMs(101, () => lyapunov(noise))
  const reference = await medianMs(5, () => lyapunovReference(chaotic))
  report('lyapunov: 1,000 points, logistic map (median)', `${ours.toFixed(2)} ms`, '< 2 ms', ours < 2)
  console.log(`      on uniform noise ${onNoise.toFixed(2)} ms; TypeScript reference ${reference.toFixed(1)} ms (${(reference / ours).toFixed(0)}×); exponent ${lyapunov(chaotic).exponent.toFixed(3)} (ln 2 = 0.693)`)
}

async function poolBench(): Promise<void> {
  const random = seeded(99)
  const makers = [
    (k: number) => uniformNoise(200, k, 100, 30),
    (k: number) => sineWave(200, 5 + (k % 20), 20, 300),
    (k: number) => logisticMap(200, 0.05 + 0.9 * random()).map((v) => 50 + 100 * v),
  ]
  const batch = Array.from({ length: 10_000 }, (_, k) => ({
    id: `tests/module-${k % 400}.test.ts > case ${k}`,
    durations: makers[k % makers.length]!(k),
    outcomes: Array.from({ length: 200 }, () => (random() < 0.05 ? 1 : 0)),
  }))
  const options = { reference: uniformNoise(20, 1, 100, 30), referenceOutcomes: new Array(20).fill(0) }
  const pool = new AnalysisPool()
  try {
    await pool.analyse(batch.slice(0, 200), options)
    const ms = await medianMs(3, () => pool.analyse(batch, options))
    report(`pool: 10,000 series × 200 (DTW vs window, period, exponent, class)`, `${ms.toFixed(0)} ms`, '< 2,000 ms', ms < 2_000)
    console.log(`      ${pool.threads} worker threads (availableParallelism ${availableParallelism()}); ${(ms / 10).toFixed(0)} µs per series`)
  } finally {
    await pool.close()
  }
}

async function midStreamComparison(): Promise<void> {
  const a = randomSeries(100, 3)
  const b = randomSeries(100, 4)
  const dtwUs = (await medianMs(501, () => dtw(a, b))) * 1_000
  const attractorMs = await medianMs(101, () => classifyAttractor(logisticMap(1_000, 0.2718)))
  console.log(`      MidStream reports DTW on 100 elements ≈ 250 µs; ours ${dtwUs.toFixed(1)} µs (${(250 / dtwUs).toFixed(0)}× less)`)
  console.log(`      MidStream reports attractor analysis of 1,000 points ≈ 3.5 ms; ours ${attractorMs.toFixed(2)} ms (${(3.5 / attractorMs).toFixed(1)}× less)`)
}

const wasm = fileURLToPath(new URL('../../dist/wasm/kernels.wasm', import.meta.url))
await dtwManyBench()
await lyapunovBench()
await poolBench()
console.log(`      kernels.wasm: ${statSync(wasm).size} bytes (${(statSync(wasm).size / 1024).toFixed(1)} KiB), SIMD, no imports`)
await midStreamComparison()

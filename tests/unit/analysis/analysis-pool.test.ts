import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { AnalysisPool, analyseSeries, type AnalyseOptions, type SeriesInput } from '../../../src/analysis/index.js'
import { ErrorCodes } from '../../../src/errors.js'
import { decay, logisticMap, seeded, sineWave, uniformNoise } from './_series.js'

const scratch = mkdtempSync(join(tmpdir(), 'flakeline-analysis-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function mixedBatch(count: number): SeriesInput[] {
  const random = seeded(17)
  const makers = [
    (k: number) => logisticMap(200, 0.1 + 0.8 * random()).map((v) => 100 + 50 * v + k),
    (k: number) => sineWave(200, 7 + (k % 11), 30, 500),
    (k: number) => uniformNoise(200, k, 80, 20),
    (k: number) => decay(200, 15, 40, 400 + k),
    (k: number) => uniformNoise(k % 3, k),
  ]
  return Array.from({ length: count }, (_, k) => ({
    id: `suite > test ${k}`,
    durations: makers[k % makers.length]!(k),
    ...(k % 2 === 0 ? { outcomes: Array.from({ length: 30 }, () => (random() < 0.2 ? 1 : 0)) } : {}),
  }))
}

const options: AnalyseOptions = { reference: sineWave(20, 10, 30, 500), referenceOutcomes: new Array(20).fill(0) }

describe('AnalysisPool', () => {
  test('analyses a batch in worker threads exactly as analyseSeries does in this thread', async () => {
    const batch = mixedBatch(400)
    const pool = new AnalysisPool({ threads: 2 })
    try {
      const results = await pool.analyse(batch, options)
      expect(results).toEqual(batch.map((series) => analyseSeries(series, options)))
      expect(results.map((r) => r.id)).toEqual(batch.map((s) => s.id))
      expect(results[0]!.attractor).toBe('chaotic')
      expect(results[1]!.attractor).toBe('limit-cycle')
      expect(results[2]!.attractor).toBe('stochastic')
      expect(results[3]!.attractor).toBe('fixed-point')
      // A second batch reuses the workers and their kernels.
      expect(await pool.analyse(batch.slice(0, 5), options)).toEqual(results.slice(0, 5))
    } finally {
      await pool.close()
    }
  })

  test('resolves an empty batch to [] and rejects bad input with the input code', async () => {
    const pool = new AnalysisPool()
    try {
      expect(await pool.analyse([], options)).toEqual([])
      await expect(pool.analyse('x' as unknown as SeriesInput[], options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_INPUT })
      await expect(pool.analyse([{ id: 'a', durations: [1] }], { reference: [NaN] })).rejects.toThrow('options.reference[0] is NaN')
      // NaN inside a series is found by the worker and keeps its code across the thread boundary.
      const bad = [...mixedBatch(10), { id: 'broken', durations: [1, 2, Infinity] }]
      await expect(pool.analyse(bad, options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('batch[10].durations[2] is Infinity') })
    } finally {
      await pool.close()
    }
  })

  test('validates its own options at construction', () => {
    expect(() => new AnalysisPool({ threads: 0 })).toThrow('options.threads must be an integer >= 1 (got 0)')
    expect(() => new AnalysisPool({ closeTimeout: -1 })).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
  })

  test('close() is idempotent, and a closed pool rejects with the closed code', async () => {
    const pool = new AnalysisPool({ threads: 1 })
    await pool.analyse(mixedBatch(3), options)
    const first = pool.close()
    expect(pool.close()).toBe(first)
    await first
    await pool.close()
    await expect(pool.analyse(mixedBatch(1), options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_CLOSED })
    // A pool that never started has nothing to stop.
    await new AnalysisPool().close()
  })

  test('close() is bounded: it ends a long batch instead of waiting for it', async () => {
    // About a minute of work on one thread; close() waits 50 ms, then terminates the worker.
    const long = Array.from({ length: 400 }, (_, k) => ({ id: String(k), durations: uniformNoise(3_000, k) }))
    const pool = new AnalysisPool({ threads: 1, closeTimeout: 50 })
    const batch = pool.analyse(long, { reference: [1, 2, 3] })
    const settled = batch.catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await pool.close()
    expect(await settled).toMatchObject({ code: ErrorCodes.ANALYSIS_CLOSED })
  }, 30_000)

  test('a .wasm that fails to load rejects with the wasm code, every time, without hanging', async () => {
    const notWasm = join(scratch, 'kernels.wasm')
    writeFileSync(notWasm, 'this is not WebAssembly')
    for (const wasmPath of [join(scratch, 'missing.wasm'), notWasm]) {
      const pool = new AnalysisPool({ threads: 1, wasmPath })
      try {
        await expect(pool.analyse(mixedBatch(20), options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_WASM, message: expect.stringContaining(wasmPath) })
        await expect(pool.analyse(mixedBatch(2), options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_WASM })
      } finally {
        await pool.close()
      }
    }
  })

  test('a worker that crashes rejects with the worker code, every time, without hanging', async () => {
    // A V8 heap far too small for a worker thread: it dies as soon as it runs.
    const pool = new AnalysisPool({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 4 } })
    try {
      await expect(pool.analyse(mixedBatch(50), options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_WORKER, message: expect.stringContaining('memory') })
      await expect(pool.analyse(mixedBatch(5), options)).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_WORKER })
    } finally {
      await pool.close()
    }
  })

  test('idle workers do not keep the process alive', () => {
    // The script analyses a batch and never calls close(): the process must still exit.
    const analysis = pathToFileURL(join(import.meta.dirname, '../../../dist/src/analysis/index.js')).href
    const script = `
      import { AnalysisPool } from ${JSON.stringify(analysis)}
      const pool = new AnalysisPool({ idleTimeout: 60_000 })
      const [result] = await pool.analyse([{ id: 'a', durations: Array.from({ length: 50 }, (_, i) => i % 5) }], { reference: [0, 1, 2, 3, 4] })
      console.log(result.id, result.period)
    `
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    expect(child.stdout.trim()).toBe('a 5')
  }, 30_000)
})

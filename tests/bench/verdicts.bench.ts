// Issue 12 targets, on the simulator's known ground truth (src/verdicts/simulate.ts): among tests
// that failed at least twice, their verdict 20 runs after the second failure has flaky precision
// >= 0.95 and recall >= 0.85; fewer than 2% of regressions are ever called flaky; the Brier score
// of flakyProbability is <= 0.08. Then the ablation (each signal family left out, and definitive
// evidence alone), and analyseTests on 10,000 tests × 200 runs of history in under 2 s.
import { loadavg, availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { AnalysisPool } from '../../dist/src/analysis/index.js'
import { analyseTests, initialModel } from '../../dist/src/verdicts/index.js'
import { replayProject, standardProjects, type ProjectReplay } from '../../dist/src/verdicts/simulate.js'
import { scoreReplays, type ReplayScore } from '../../dist/src/verdicts/simulation-score.js'
import type { SignalName, TestCase, TestObservation } from '../../dist/src/verdicts/types.js'
import { seeded } from '../unit/analysis/_series.js'
import { median, report } from './_bench-tools.js'

// The detector was tuned while looking at seeds 0-2; seeds 3-5 are held out and printed apart.
const SEEDS = [0, 1, 2]
const HELD_OUT = [3, 4, 5]
// Families by what computes them, so each kernel's worth shows on its own line.
const FAMILIES: Record<string, SignalName[]> = {
  'definitive (retry, same commit)': ['passedOnRetry', 'mixedOnSameCode'],
  'flip rate, entropy, Beta (counting)': ['flipRate', 'entropy', 'failureProbability'],
  'step change (DTW kernel)': ['stepChange'],
  'period (autocorrelation kernel)': ['period'],
  'time of day (Fisher test)': ['timeOfDay'],
  'messages (edit distance kernel)': ['messageDiversity'],
  'duration instability (Lyapunov kernels)': ['durationInstability'],
  'near timeout (counting)': ['nearTimeout'],
  'order dependence (Fisher test)': ['orderDependence'],
  'clusters (DTW kernel)': ['cluster'],
  'unchanged code (counting)': ['unchangedFailure'],
}
const ALL = Object.values(FAMILIES).flat()

const f3 = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(3))
const pct = (part: number, whole: number): string => `${part}/${whole} (${whole ? ((100 * part) / whole).toFixed(1) : '0'}%)`

async function replayAll(pool: AnalysisPool, seeds: readonly number[], disable: readonly SignalName[] = []): Promise<ProjectReplay[]> {
  const replays: ProjectReplay[] = []
  for (const seed of seeds) for (const setup of standardProjects(150, seed)) replays.push(await replayProject(setup, pool, { disable }))
  return replays
}

function headline(s: ReplayScore): string {
  const flaky = s.assessed.flaky
  return `P ${f3(flaky.precision)}  R ${f3(flaky.recall)}  F1 ${f3(flaky.f1)}  regressions flaky ${pct(s.regressionsCalledFlaky.called, s.regressionsCalledFlaky.total).padEnd(13)} Brier ${f3(s.brier)}`
}

async function simulator(pool: AnalysisPool): Promise<void> {
  const started = performance.now()
  const replays = await replayAll(pool, SEEDS)
  const s = scoreReplays(replays)
  const flaky = s.assessed.flaky
  console.log(`simulator: ${SEEDS.length} seeds × 4 projects × 150 runs, 320 tests each (${((performance.now() - started) / 1000).toFixed(0)} s); ${s.eligible} tests failed at least twice`)
  report('flaky precision, 20 runs after the second failure', f3(flaky.precision), '≥ 0.95', flaky.precision >= 0.95)
  report('flaky recall, 20 runs after the second failure', f3(flaky.recall), '≥ 0.85', flaky.recall >= 0.85)
  const r = s.regressionsCalledFlaky
  report('regressions ever called flaky', pct(r.called, r.total), '< 2%', r.called / r.total < 0.02)
  report('Brier score of flakyProbability (assessed tests)', f3(s.brier), '≤ 0.08', s.brier <= 0.08)
  console.log(`      broken tests ever called flaky ${pct(s.brokenCalledFlaky.called, s.brokenCalledFlaky.total)}; stable tests ever called anything else ${pct(s.stableMisjudged.called, s.stableMisjudged.total)}`)
  console.log(`      the model's own Brier score (its resolved examples, per project) ${f3(s.modelBrier)}`)
  console.log('      per kind                 assessed: P      R      F1    (n)    every run: P      R      F1     (n)')
  for (const kind of ['flaky', 'failing', 'recovered', 'stable', 'new'] as const) {
    const a = s.assessed[kind]
    const e = s.everyRun[kind]
    console.log(`      ${kind.padEnd(24)} ${f3(a.precision).padStart(6)} ${f3(a.recall).padStart(6)} ${f3(a.f1).padStart(6)} ${String(a.support).padStart(5)}    ${f3(e.precision).padStart(10)} ${f3(e.recall).padStart(6)} ${f3(e.f1).padStart(6)} ${String(e.support).padStart(6)}`)
  }
  const d = s.flakyRunsToDetect
  const g = s.failingRunsToDetect
  console.log(`      runs to detection: flaky ${d.median} (p90 ${d.p90}) runs after the second failure, ${d.detected} of ${d.total}; failing ${g.median} (p90 ${g.p90}) runs after the first failure, ${g.detected} of ${g.total}`)
  console.log(`      flaky tests found by flavour: ${Object.entries(s.flavours).map(([flavour, x]) => `${flavour} ${x.found}/${x.total}`).join(', ')}`)
  console.log(`      analyseTests per run (about 320 tests, 1 pool call): median ${s.analysisMs.median.toFixed(1)} ms, largest ${s.analysisMs.max.toFixed(0)} ms (the first starts the workers)`)
  const held = scoreReplays(await replayAll(pool, HELD_OUT))
  console.log(`      held-out seeds ${HELD_OUT.join(', ')} (${held.eligible} tests): ${headline(held)}`)
  const model = replays[0]!.model
  console.log(`      ModelState: ${JSON.stringify(model).length} bytes of JSON; thresholds per project: ${replays.slice(0, 4).map((x) => `${x.setup.name} flaky ≥ ${x.model.thresholds.flaky}, failing after ${x.model.thresholds.failingStreak}`).join('; ')}`)
}

async function ablation(pool: AnalysisPool): Promise<void> {
  console.log(`ablation (seeds ${SEEDS.join(', ')}, 4 projects each): the headline figures with each signal family left out`)
  const full = scoreReplays(await replayAll(pool, SEEDS))
  console.log(`      ${'all signals'.padEnd(48)} ${headline(full)}`)
  for (const [family, signals] of Object.entries(FAMILIES)) {
    const s = scoreReplays(await replayAll(pool, SEEDS, signals))
    console.log(`      ${`without ${family}`.padEnd(48)} ${headline(s)}`)
  }
  const definitiveOnly = scoreReplays(await replayAll(pool, SEEDS, ALL.filter((x) => !FAMILIES['definitive (retry, same commit)']!.includes(x))))
  console.log(`      ${'definitive evidence only'.padEnd(48)} ${headline(definitiveOnly)}`)
}

/**
 * 10,000 tests × 200 runs, shaped as the recorder hands them over: messages and earlier files
 * for the newest 20 runs and for failures; `eventful` of the tests failed or were retried.
 */
function bigCases(eventful: number): TestCase[] {
  const random = seeded(12)
  const files = Array.from({ length: 400 }, (_, f) => `tests/module-${f}.test.ts`)
  const orders = Array.from({ length: 200 }, () => {
    const order = files.slice().sort(() => random() - 0.5)
    return new Map(order.map((file, i) => [file, order.slice(Math.max(0, i - 20), i)]))
  })
  const commits = Array.from({ length: 200 }, (_, r) => `${(r * 2654435761).toString(16).padStart(40, '0')}`)
  const none: string[] = []
  return Array.from({ length: 10_000 }, (_, k) => {
    const fileId = files[k % files.length]!
    const rate = random() < eventful ? 0.02 + 0.4 * random() : 0
    const mean = 20 + 200 * random()
    const observations: TestObservation[] = new Array(200)
    for (let r = 0; r < 200; r++) {
      const failed = random() < rate
      const detailed = failed || r >= 180
      observations[r] = {
        seq: r + 1,
        status: failed ? 'failed' : 'passed',
        attempts: 1,
        durationMs: mean * (0.8 + 0.4 * random()),
        startedAt: 1.75e12 + r * 1.1e7,
        codeState: commits[r]!,
        message: failed && r >= 180 ? 'AssertionError: expected 3 to equal 2' : null,
        timeoutMs: detailed ? 5000 : null,
        before: detailed ? orders[r]!.get(fileId)! : none,
        changed: random() < 0.05,
      }
    }
    return { fileId, name: `case ${k}`, observations }
  })
}

async function timing(pool: AnalysisPool): Promise<void> {
  const model = { ...initialModel(), lastSeq: 199 }
  for (const [label, share] of [['10% of the tests failed or retried in their window', 0.1], ['every test failed in its window (worst case)', 1]] as const) {
    const cases = bigCases(share)
    await analyseTests(cases.slice(0, 1_000), model, { pool })
    const times: number[] = []
    let cpu = 0
    for (let i = 0; i < 3; i++) {
      const before = process.cpuUsage()
      const start = performance.now()
      await analyseTests(cases, model, { pool })
      times.push(performance.now() - start)
      cpu += process.cpuUsage(before).user / 1000
    }
    const ms = median(times)
    report(`analyseTests: 10,000 tests × 200 runs, ${share === 1 ? 'all eventful' : '10% eventful'}`, `${ms.toFixed(0)} ms`, '< 2,000 ms', ms < 2_000)
    console.log(`      ${label}: ${times.map((t) => t.toFixed(0)).join(', ')} ms; CPU of the process (main thread and workers) ${(cpu / 3).toFixed(0)} ms per call; ${pool.threads} worker threads`)
  }
  console.log(`      load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores`)
}

const pool = new AnalysisPool()
try {
  console.log(`load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores`)
  await timing(pool)
  await simulator(pool)
  await ablation(pool)
} finally {
  await pool.close()
}

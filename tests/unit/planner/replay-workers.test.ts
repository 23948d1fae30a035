import { describe, expect, test } from 'vitest'
import { parallelOrderMetrics } from '../../../src/replay/order-metrics.js'
import { replayOnWorkers, type ReplayRun } from '../../../src/replay/replay-history.js'

const run = (...files: Array<[boolean, number]>) => files.map(([failed, durationMs]) => ({ failed, durationMs }))

describe('parallelOrderMetrics: the order dispatched to workers as the runners do', () => {
  test('2 workers: the makespan, and the first failure is the failing file that finishes first', () => {
    // Worker 1 runs the 5 (0–5) then the last 1 (5–6); worker 2 the 2 (0–2), the failing 1 (2–3), the failing 4 (3–7).
    expect(parallelOrderMetrics(run([false, 5], [false, 2], [true, 1], [true, 4], [false, 1]), 2)).toEqual({ makespanMs: 7, timeToFirstFailureMs: 3 })
    // A failing file listed later can show first: 3 (0–3) fails after 1 (0–1) and 1 (1–2, failing).
    expect(parallelOrderMetrics(run([true, 3], [false, 1], [true, 1]), 2).timeToFirstFailureMs).toBe(2)
  })

  test('one worker: the sequential figures; no failure: null', () => {
    expect(parallelOrderMetrics(run([false, 2], [true, 3], [false, 4]), 1)).toEqual({ makespanMs: 9, timeToFirstFailureMs: 5 })
    expect(parallelOrderMetrics(run([false, 2]), 3)).toEqual({ makespanMs: 2, timeToFirstFailureMs: null })
  })
})

describe('replayOnWorkers', () => {
  // 12 runs of a long steady file, ten quick ones, and a quick one that fails every third run.
  const history: ReplayRun[] = Array.from({ length: 12 }, (_, r) => ({
    id: `r${r}`,
    files: [
      { fileId: 'long.test.ts', status: 'passed' as const, durationMs: 9_000 },
      ...Array.from({ length: 10 }, (_, i) => ({ fileId: `quick-${i}.test.ts`, status: 'passed' as const, durationMs: 500 + 100 * i })),
      { fileId: 'flaky.test.ts', status: r % 3 === 2 ? ('failed' as const) : ('passed' as const), durationMs: 300 },
    ],
  }))

  test('auto against LPT and the runners\' default: makespans as ratios, first failures on the workers', async () => {
    const summary = await replayOnWorkers(history, { policies: ['auto', 'lpt', 'default'], workers: 2, seed: 1 })
    expect(summary).toMatchObject({ workers: 2, runs: 12, runsWithFailures: 4 })
    const [auto, lpt, runnerDefault] = summary.contenders
    expect(lpt).toMatchObject({ name: 'lpt', predictedRatio: 1, worstPredictedRatio: 1, replayedRatio: 1 })
    expect(auto!.worstPredictedRatio).toBeLessThanOrEqual(1.05)
    expect(summary.autoWorstWithoutLikely).toBeLessThanOrEqual(1.03)
    expect(summary.autoWorstWithLikely).toBeLessThanOrEqual(1.05)
    expect(summary.runsWithLikely).toBeGreaterThan(0)
    // After its first failure the flaky file runs first: its failures show at 0.3 s, not behind the long file.
    expect(auto!.timeToFirstFailureMs).toBeLessThan(lpt!.timeToFirstFailureMs)
    expect(auto!.timeToFirstFailureMs).toBeLessThanOrEqual(runnerDefault!.timeToFirstFailureMs)
    expect(auto!.replayedMs).toBeGreaterThan(0)
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AnalysisPool } from '../../../src/analysis/analysis-pool.js'
import { isTimeoutMessage } from '../../../src/analysis/history-context.js'
import { analyseTests } from '../../../src/verdicts/analyse-tests.js'
import { featuresOf } from '../../../src/verdicts/features.js'
import { SIGNAL_INDEX } from '../../../src/verdicts/meta-learner.js'
import type { SignalName, TestCase, Verdict } from '../../../src/verdicts/types.js'
import { HOUR, START, failingAt, history, measure } from './_histories.js'

let pool: AnalysisPool
beforeAll(() => {
  pool = new AnalysisPool({ threads: 2 })
})
afterAll(() => pool.close())

async function verdictOf(test: TestCase): Promise<Verdict> {
  return (await analyseTests([test], null, { pool })).verdicts[0]!
}

function feature(test: TestCase, signal: SignalName): number {
  return featuresOf(measure(test)[0]!, undefined)[SIGNAL_INDEX.get(signal)!]!
}

function evidence(verdict: Verdict, signal: SignalName): string | undefined {
  return verdict.evidence.find((e) => e.signal === signal)?.detail
}

describe('definitive signals', () => {
  test('one pass on retry makes a test flaky with high confidence, whatever else it shows', async () => {
    const verdict = await verdictOf(history(failingAt(40, [30], 'r')))
    expect(verdict.verdict).toBe('flaky')
    expect(verdict.confidence).toBeGreaterThan(0.9)
    expect(evidence(verdict, 'passedOnRetry')).toBe('passed on retry in 1 of 40 runs')
  })

  test('a pass and a failure on the same clean commit are definitive; on a dirty tree they prove nothing', async () => {
    const commit = (i: number): string => `commit-${i === 21 ? 20 : i}`
    const clean = await verdictOf(history(failingAt(30, [20]), { commit }))
    expect(clean.verdict).toBe('flaky')
    expect(evidence(clean, 'mixedOnSameCode')).toBe('passed and failed on the same clean commit (commit-20)')
    const dirty = measure(history(failingAt(30, [20]), { commit: (i) => (i === 20 || i === 21 ? null : `commit-${i}`) }))[0]!
    expect(dirty.mixedStates).toBe(0)
  })
})

describe('outcome series', () => {
  test('flip rate and entropy weigh recent runs more (Kowalczyk et al. 2020)', () => {
    const old = measure(history(failingAt(60, [2, 5, 8, 11, 14])))[0]!
    const recent = measure(history(failingAt(60, [45, 48, 51, 54, 57])))[0]!
    expect(old.flips).toBe(recent.flips)
    expect(recent.flipRate).toBeGreaterThan(3 * old.flipRate)
    expect(recent.entropy).toBeGreaterThan(old.entropy)
  })

  test('a step change is not flaky: one new block of failures with one message, after a change', async () => {
    const regression = history(failingAt(60, [54, 55, 56, 57, 58, 59]), { changed: (i) => i === 54 })
    expect(feature(regression, 'stepChange')).toBe(1)
    const verdict = await verdictOf(regression)
    expect(verdict.verdict).toBe('failing')
    expect(verdict.flakyProbability).toBeLessThan(0.05)
    expect(verdict.since).toBe(55)
    expect(evidence(verdict, 'stepChange')).toMatch(/^the newest 6 failures form a new block/)
  })

  test('scattered failures look like earlier windows, so they are no step', () => {
    const scattered = history(failingAt(80, [5, 9, 20, 26, 41, 47, 63, 78, 79]))
    expect(measure(scattered)[0]!.stepNovelty).toBeLessThan(0.5)
    expect(feature(scattered, 'stepChange')).toBeLessThan(0.5)
  })

  test('the Beta posterior says how likely the failure rate is intermittent', () => {
    const [never, sometimes, always] = measure(history('0'.repeat(40)), history(failingAt(40, [3, 17, 29, 35])), history('1'.repeat(40)))
    // 40 passes cannot rule out a rate above 1% (Jeffreys prior), but a test that never failed has no reading.
    expect(never!.intermittent).toBeLessThan(sometimes!.intermittent)
    expect(feature(history('0'.repeat(40)), 'failureProbability')).toBe(0)
    expect(sometimes!.intermittent).toBeGreaterThan(0.95)
    expect(always!.intermittent).toBeLessThan(0.1)
  })
})

describe('periodic and time-of-day failures', () => {
  test('a test failing every 7th run has period 7 and its evidence names it', async () => {
    const periodic = history(failingAt(70, Array.from({ length: 10 }, (_, k) => 3 + 7 * k)))
    expect(measure(periodic)[0]!.period).toBe(7)
    const verdict = await verdictOf(periodic)
    expect(verdict.verdict).toBe('flaky')
    expect(evidence(verdict, 'period')).toMatch(/^fails about every 7 runs \(autocorrelation/)
  })

  test('failures around 23:00 UTC are named with their hours', async () => {
    // Runs every 5 hours cycle through every hour; those at 23:00 fail.
    const startedAt = (i: number): number => START + i * 5 * HOUR
    const pattern = Array.from({ length: 96 }, (_, i) => (new Date(startedAt(i)).getUTCHours() === 23 ? '1' : '0')).join('')
    const verdict = await verdictOf(history(pattern, { startedAt }))
    expect(verdict.verdict).toBe('flaky')
    expect(evidence(verdict, 'timeOfDay')).toMatch(/^failed in 4 of 4 runs between 23:00 and 00:00 UTC, 0 of 92 at other hours/)
  })
})

describe('failure messages', () => {
  test('one message recurring reads -1, varied timeouts and resets read towards 1', () => {
    const failures = [10, 20, 30, 40, 50]
    const same = history(failingAt(60, failures))
    const varied = ['Exceeded timeout of 5000 ms for a test.', 'connect ECONNRESET 10.0.0.1:443', 'expected 200 "OK", got 503', 'socket hang up', 'Exceeded timeout of 5000 ms for a test.']
    const mixed = history(failingAt(60, failures), { message: (i) => varied[Math.floor(i / 10) - 1]! })
    expect(feature(same, 'messageDiversity')).toBe(-1)
    expect(feature(mixed, 'messageDiversity')).toBeGreaterThan(0.5)
    expect(measure(mixed)[0]!.timeoutMessages).toBe(2)
  })

  test('a timeout is what the runners say about one, not a timer named in the stack', () => {
    const stack = 'AssertionError: expected 0.30000000000000004 to be 0.3\n    at listOnTimeout (node:internal/timers:581:17)\n    at Timeout._onTimeout (tests/a.test.js:4:5)'
    const plain = history(failingAt(40, [10, 20, 30]), { message: () => stack })
    expect(measure(plain)[0]!.timeoutMessages).toBe(0)
    expect(feature(plain, 'nearTimeout')).toBeLessThanOrEqual(0)
    for (const said of ['Test timed out in 5000ms.', 'Exceeded timeout of 5000 ms for a test.', 'Hook timed out in 10000ms.', 'connect ETIMEDOUT 10.0.0.1:443']) expect(isTimeoutMessage(said), said).toBe(true)
    for (const said of ['expected timeout to be 50', 'setTimeout is not a function', 'TimeoutError handler missing']) expect(isTimeoutMessage(said), said).toBe(false)
  })

  test('numbers do not make messages differ', () => {
    const numbered = history(failingAt(30, [5, 15, 25]), { message: (i) => `expected ${i} rows, got ${i + 1} after ${i * 3} ms` })
    expect(measure(numbered)[0]!.messageDiversity).toBe(0)
  })
})

describe('durations', () => {
  test('durations close to the timeout are near-timeout evidence', () => {
    const tight = history(failingAt(40, [12, 30]), { duration: (i) => (i % 4 === 0 ? 4700 : 3000) })
    const m = measure(tight)[0]!
    expect(m.nearTimeoutRuns).toBe(10)
    expect(m.maxTimeoutRatio).toBeCloseTo(0.94)
    expect(feature(tight, 'nearTimeout')).toBeGreaterThan(0.9)
  })

  test('erratic durations read as unstable, steady ones not (Lyapunov exponent and attractor class)', () => {
    let x = 0.3
    const chaotic = history(failingAt(64, [20, 40]), { duration: () => 100 + 400 * (x = 4 * x * (1 - x)) })
    const steady = history(failingAt(64, [20, 40]), { duration: () => 200 })
    expect(feature(chaotic, 'durationInstability')).toBeGreaterThan(0.5)
    expect(feature(steady, 'durationInstability')).toBe(0)
    expect(measure(steady)[0]!.durationKind).toBe(0)
  })
})

describe('order dependence', () => {
  test('a test that fails only after tests/db.test.ts names that file', async () => {
    const files = ['tests/db.test.ts', 'tests/api.test.ts', 'tests/ui.test.ts', 'tests/io.test.ts']
    // Shuffled orders: the polluter runs before the test in half of the runs.
    const before = (i: number): string[] => (i % 2 === 0 ? [files[1]!, files[0]!, files[2]!] : [files[(i % 3) + 1]!])
    const pattern = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? '1' : '0')).join('')
    const test = history(pattern, { before })
    const m = measure(test)[0]!
    expect(m.orderWithoutFailed).toBe(0)
    const verdict = await verdictOf(test)
    expect(verdict.verdict).toBe('flaky')
    expect(evidence(verdict, 'orderDependence')).toMatch(/^failed in 20 of 20 runs where tests\/db\.test\.ts ran before it, 0 of 20 where it did not/)
  })

  test('runs of unknown order (an empty list) are left out, so a fixed order proves nothing', () => {
    const before = (i: number): string[] => (i >= 30 ? ['tests/db.test.ts'] : [])
    const m = measure(history(failingAt(40, [31, 33, 35, 38]), { before }))[0]!
    expect(m.orderFile).toBe(-1)
    // Had the empty lists counted as "db ran elsewhere", 26 passes without it would have made a case.
    const known = measure(history(failingAt(40, [31, 33, 35, 38]), { before: (i) => (i >= 30 ? ['tests/db.test.ts'] : ['tests/ui.test.ts']) }))[0]!
    expect(known.orderFile).toBe(0)
  })
})

describe('changes and clusters', () => {
  test('outcome changes with no code change point towards flaky, changes that came with one away', () => {
    const unchanged = history(failingAt(40, [10, 25, 33]))
    const withChanges = history(failingAt(40, [10, 11, 12, 13]), { changed: (i) => i === 10 || i === 14 })
    expect(feature(unchanged, 'unchangedFailure')).toBeCloseTo(6 / 7)
    expect(feature(withChanges, 'unchangedFailure')).toBeCloseTo(-2 / 3)
  })

  test('tests failing in the same runs form a cluster; a definitively flaky member lends the others its evidence', async () => {
    const runs = [8, 15, 23, 31, 38]
    const members = [
      // a passed when run 8's commit was run again (run 9): definitively flaky.
      history(failingAt(45, runs), { fileId: 'tests/a.test.ts', name: 'a', commit: (i) => `commit-${i === 9 ? 8 : i}` }),
      history(failingAt(45, runs), { fileId: 'tests/b.test.ts', name: 'b' }),
      // c fails one run later (another shard) and once more on its own: DTW's band still pairs it.
      history(failingAt(45, runs.map((r) => r + 1).concat([20])), { fileId: 'tests/c.test.ts', name: 'c' }),
      history(failingAt(45, [3, 27, 40]), { fileId: 'tests/d.test.ts', name: 'd' }),
    ]
    const { verdicts, clusters } = await analyseTests(members, null, { pool })
    expect(clusters).toHaveLength(1)
    expect(clusters[0]!.tests.map((t) => t.test)).toEqual(['a', 'b', 'c'])
    expect(clusters[0]!.detail).toMatch(/^3 tests failed together in 5 runs/)
    expect(evidence(verdicts[1]!, 'cluster')).toBe(`fails in the same runs as 2 other tests (cluster ${clusters[0]!.id}, similarity ${clusters[0]!.similarity.toFixed(2)}), 1 of them flaky by retries or same-code passes`)
  })
})

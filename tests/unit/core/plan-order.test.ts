import { describe, test, expect } from 'vitest'
import type { TestStatus } from '../../../src/records.js'
import { fileEvidence } from '../../../src/scheduling/file-evidence.js'
import { planOrder } from '../../../src/scheduling/plan-order.js'
import { HistoryWindow } from '../../../src/store/history-window.js'

/** A window from `[status, ms]` pairs, oldest first, the way Jest's sequencer test feeds records. */
function windowOf(...runs: Array<[TestStatus, number]>): HistoryWindow {
  let bytes: Uint8Array | undefined
  runs.forEach(([status, durationMs], i) => {
    bytes = HistoryWindow.append(bytes, { seq: i + 1, status, durationMs, startedAt: 1_000 + i, attempts: 1 }, 200).bytes
  })
  return new HistoryWindow(bytes ?? new Uint8Array(0))
}

const PASS = (ms: number): [TestStatus, number] => ['passed', ms]
const FAIL = (ms: number): [TestStatus, number] => ['failed', ms]
const SKIP: [TestStatus, number] = ['skipped', 0]

/** planOrder over windows, through the same evidence the plan index stores. */
function plan(fileIds: string[], windows: ReadonlyMap<string, HistoryWindow>) {
  return planOrder(fileIds, new Map(Array.from(windows, ([id, window]) => [id, fileEvidence(window)])))
}

describe('fileEvidence', () => {
  test('no window, or an empty one, is no evidence', () => {
    const none = { runs: 0, lastStatus: null, predictedMs: null, timedRuns: 0 }
    expect(fileEvidence(undefined)).toMatchObject(none)
    expect(fileEvidence(windowOf())).toMatchObject(none)
  })

  test('median of the last 5 runs that ran, skipped runs ignored', () => {
    const window = windowOf(PASS(9_000), PASS(10), SKIP, PASS(20), FAIL(30), SKIP, PASS(40), PASS(50))
    expect(fileEvidence(window)).toMatchObject({ runs: 8, lastStatus: 'passed', predictedMs: 30, timedRuns: 5 })
  })

  test('an even number of timed runs averages the middle two', () => {
    expect(fileEvidence(windowOf(PASS(100), PASS(10), PASS(40), PASS(20)))).toMatchObject({ runs: 4, lastStatus: 'passed', predictedMs: 30, timedRuns: 4 })
  })

  test('one slow outlier does not move the prediction', () => {
    expect(fileEvidence(windowOf(PASS(100), PASS(110), PASS(60_000), PASS(105), PASS(95))).predictedMs).toBe(105)
  })

  test('the last status is that of the newest run that ran', () => {
    expect(fileEvidence(windowOf(PASS(1), FAIL(2), SKIP, SKIP)).lastStatus).toBe('failed')
    expect(fileEvidence(windowOf(FAIL(1), PASS(2), ['todo', 0])).lastStatus).toBe('passed')
  })

  test('failure history: recency-weighted score, counts, flips, the last failure, a p90 duration', () => {
    // Oldest first: failed, passed, failed, skipped, passed. Newest-first weights: 1, 0.8, 0.64, 0.512 (skips ignored).
    const evidence = fileEvidence(windowOf(FAIL(10), PASS(20), FAIL(30), SKIP, PASS(40)))
    expect(evidence).toMatchObject({ ranRuns: 4, failedRuns: 2, flips: 3, lastFailedSeq: 3, lastSeq: 5, lastStatus: 'passed' })
    expect(evidence.failureScore).toBeCloseTo((0.8 + 0.512) / (1 + 0.8 + 0.64 + 0.512), 10)
    expect(evidence.p90Ms).toBeCloseTo(37, 10)
  })

  test('a file that was only ever skipped has no timing and no last status', () => {
    expect(fileEvidence(windowOf(SKIP, SKIP))).toMatchObject({ runs: 2, lastStatus: null, predictedMs: null, timedRuns: 0 })
  })
})

describe('planOrder', () => {
  const windows = new Map([
    ['fast.test.ts', windowOf(PASS(100), PASS(120), PASS(110))],
    ['slow.test.ts', windowOf(PASS(2_400), PASS(2_600), PASS(2_500))],
    ['medium.test.ts', windowOf(FAIL(400), PASS(500))],
    ['broken-quick.test.ts', windowOf(PASS(50), FAIL(40))],
    ['broken-slow.test.ts', windowOf(PASS(900), FAIL(1_200), SKIP)],
    ['skipped-only.test.ts', windowOf(SKIP)],
  ])
  const files = ['fast.test.ts', 'new-b.test.ts', 'slow.test.ts', 'medium.test.ts', 'broken-quick.test.ts', 'new-a.test.ts', 'broken-slow.test.ts', 'skipped-only.test.ts']

  test('failed last time first, then never seen, then longest predicted first, each with its reason', () => {
    expect(plan(files, windows)).toEqual([
      { fileId: 'broken-slow.test.ts', predictedMs: 1_050, lastStatus: 'failed', reason: 'failed in its last run, predicted 1.1 s (median of last 2)' },
      { fileId: 'broken-quick.test.ts', predictedMs: 45, lastStatus: 'failed', reason: 'failed in its last run, predicted 45 ms (median of last 2)' },
      { fileId: 'new-a.test.ts', predictedMs: null, lastStatus: null, reason: 'never run before: new tests fail most often' },
      { fileId: 'new-b.test.ts', predictedMs: null, lastStatus: null, reason: 'never run before: new tests fail most often' },
      { fileId: 'skipped-only.test.ts', predictedMs: null, lastStatus: null, reason: 'never run before: new tests fail most often' },
      { fileId: 'slow.test.ts', predictedMs: 2_500, lastStatus: 'passed', reason: 'longest first, predicted 2.5 s (median of last 3)' },
      { fileId: 'medium.test.ts', predictedMs: 450, lastStatus: 'passed', reason: 'longest first, predicted 450 ms (median of last 2)' },
      { fileId: 'fast.test.ts', predictedMs: 110, lastStatus: 'passed', reason: 'longest first, predicted 110 ms (median of last 3)' },
    ])
  })

  test('the order does not depend on the order files arrive in', () => {
    const expected = plan(files, windows).map((file) => file.fileId)
    expect(plan([...files].reverse(), windows).map((file) => file.fileId)).toEqual(expected)
    expect(plan([...files].sort(), windows).map((file) => file.fileId)).toEqual(expected)
  })

  test('equal predictions tie-break by file id', () => {
    const same = new Map([
      ['c.test.ts', windowOf(PASS(300))],
      ['a.test.ts', windowOf(PASS(300))],
      ['b.test.ts', windowOf(PASS(300))],
      ['y.test.ts', windowOf(FAIL(300))],
      ['x.test.ts', windowOf(FAIL(300))],
    ])
    expect(plan(['c.test.ts', 'b.test.ts', 'y.test.ts', 'a.test.ts', 'x.test.ts'], same).map((file) => file.fileId)).toEqual([
      'x.test.ts',
      'y.test.ts',
      'a.test.ts',
      'b.test.ts',
      'c.test.ts',
    ])
  })

  test('only the requested files are planned; windows of other files are ignored', () => {
    expect(plan(['fast.test.ts'], windows).map((file) => file.fileId)).toEqual(['fast.test.ts'])
    expect(plan([], windows)).toEqual([])
  })

  test('sub-millisecond and exactly one-second predictions are formatted for people', () => {
    const planned = plan(['a', 'b'], new Map([['a', windowOf(PASS(0.4))], ['b', windowOf(PASS(1_000))]]))
    expect(planned.map((file) => file.reason)).toEqual(['longest first, predicted 1.0 s (median of last 1)', 'longest first, predicted 0 ms (median of last 1)'])
  })
})

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { VerdictChanges } from '../../../src/core/run-analysis.js'
import type { RunRecord, TestRecord } from '../../../src/records.js'
import type { HistoryStore } from '../../../src/store/history-store.js'
import { initialModel } from '../../../src/verdicts/meta-learner.js'
import type { Verdict, VerdictKind } from '../../../src/verdicts/types.js'
import { fileResult, recordRun, testRecord } from '../core/_fixtures.js'

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
export const COMMIT = { commit: 'c'.repeat(40), dirty: false, branch: 'main', source: 'GITHUB_SHA' }
/** Runs in the scenario: enough for the suite's stability to be classified. */
export const RUNS = 12
/** A test name built to break every output it reaches. */
export const HOSTILE = `evil\nname | with \`ticks\` <script>alert(1)</script> @octocat ::error::x %0A 100% ${'y'.repeat(10_000)} end`

export function verdict(fileId: string, test: string, kind: VerdictKind, confidence: number, reason = `${kind} for a reason`): Verdict {
  return {
    fileId,
    test,
    verdict: kind,
    confidence,
    evidence: kind === 'flaky' ? [{ signal: 'passedOnRetry', value: 1, detail: 'passed on retry in 3 of 12 runs', contribution: 2.5 }, { signal: 'mixedOnSameCode', value: 1, detail: 'passed and failed on 1 commit', contribution: 1.2 }] : [],
    since: 1,
    expectedAttempts: kind === 'flaky' ? 1.3 : 1,
    flakyProbability: kind === 'flaky' ? confidence : 0.05,
    reason,
  }
}

const retried = (messages = ['Error: connection reset']): Partial<TestRecord> => ({ attempts: 2, attemptOutcomes: ['failed', 'passed'], retryErrors: messages })

/**
 * Twelve runs of a small suite, as the recorder would have stored them:
 * - `tests/cart.test.ts`: passes; `cart > totals` failed runs 5-8 and passes since (recovered);
 * - `tests/invoice.test.ts`: `invoice > adds tax` fails from run 11 (failing, new failure at 11, still failing at 12);
 * - `tests/net.test.ts`: `net > reconnects` passes on retry in runs 4, 8 and 12 (flaky, newly so at 12);
 * - `tests/cache.test.ts`: `cache > warms` is known flaky and fails in run 12 (quarantinable);
 * - `tests/slow.test.ts`: 200 ms a run for 9 runs, then 800 ms (a duration regression since run 10);
 * - `tests/hostile.test.ts`: a test named `HOSTILE` that fails in run 12 only (a new failure, no verdict);
 * - the last run has a deadline miss for tests/slow.test.ts.
 */
export async function scenario(store: HistoryStore): Promise<{ last: RunRecord; changes: VerdictChanges }> {
  let last: RunRecord | undefined
  for (let run = 1; run <= RUNS; run++) {
    const at = T0 + run * 3_600_000
    const cartTotals = run >= 5 && run <= 8 ? 'failed' : 'passed'
    const files = [
      fileResult('tests/cart.test.ts', cartTotals, 120, [testRecord('cart > adds', 'passed'), testRecord('cart > totals', cartTotals, { location: { line: 14, column: 3 } })], at + 10),
      fileResult('tests/invoice.test.ts', run >= 11 ? 'failed' : 'passed', 60, [testRecord('invoice > adds tax', run >= 11 ? 'failed' : 'passed', { location: { line: 9, column: 5 }, failureMessage: run >= 11 ? 'AssertionError: expected 0.30000000000000004 to be 0.3\n    at tests/invoice.test.ts:10:7' : null })], at + 20),
      fileResult('tests/net.test.ts', 'passed', 90, [testRecord('net > reconnects', 'passed', run % 4 === 0 ? { ...retried(), location: { line: 5, column: 3 } } : { location: { line: 5, column: 3 } })], at + 30),
      fileResult('tests/cache.test.ts', run === 12 || run === 6 ? 'failed' : 'passed', 40, [testRecord('cache > warms', run === 12 || run === 6 ? 'failed' : 'passed', { location: { line: 3, column: 1 }, failureMessage: run === 12 || run === 6 ? 'Error: warm-up timed out' : null, ...(run === 3 ? retried(['Error: warm-up timed out']) : {}) })], at + 40),
      fileResult('tests/slow.test.ts', 'passed', run >= 10 ? 800 + run : 200 + (run % 3) * 5, [testRecord('slow > renders', 'passed', { durationMs: run >= 10 ? 780 + run : 190 + (run % 3) * 5 })], at + 50),
      ...(run === RUNS ? [fileResult('tests/hostile.test.ts', 'failed', 5, [testRecord(HOSTILE, 'failed', { failureMessage: `Error: ${HOSTILE}` })], at + 60)] : []),
    ]
    last = await recordRun(store, files, {
      id: `run-${run}`,
      startedAt: at,
      code: COMMIT,
      workers: 2,
      ...(run === RUNS ? { deadlines: { checked: 1, missed: [{ fileId: 'tests/slow.test.ts', deadlineMs: 500, finishedMs: 860 }] } } : {}),
      durationMs: 1_500 + run * 10,
    })
  }
  const verdicts = [
    verdict('tests/cart.test.ts', 'cart > adds', 'stable', 0.9),
    verdict('tests/cart.test.ts', 'cart > totals', 'recovered', 0.8, 'failed 4 runs in a row, passes again since 4 runs'),
    verdict('tests/invoice.test.ts', 'invoice > adds tax', 'failing', 0.93, 'failed the last 2 runs with the same message'),
    verdict('tests/net.test.ts', 'net > reconnects', 'flaky', 0.97),
    verdict('tests/cache.test.ts', 'cache > warms', 'flaky', 0.95),
    verdict('tests/slow.test.ts', 'slow > renders', 'stable', 0.9),
  ]
  await store.analysis.writeAnalysis(verdicts, [], { ...initialModel(), runs: RUNS }, RUNS)
  const changes: VerdictChanges = { newlyFlaky: [verdicts[3]!], newlyFailing: [verdicts[2]!], recovered: [verdicts[1]!], analysed: verdicts.length }
  return { last: last!, changes }
}

/** A package root for the CLI (a package.json), with its store directory. */
export function packageRoot(dir: string): string {
  writeFileSync(join(dir, 'package.json'), '{"name":"ci-fixture","private":true}')
  return dir
}

import type { AttemptOutcome, TestStatus } from '../records.js'

/**
 * The one definition of a test's attempts, "passed on retry" and a run's totals: the recorder, the
 * live frames, the importers, merged bundles, the flaky evidence, the dashboard and `stats` all count
 * with these, so a test is never flaky in one place and not in another.
 */

/**
 * Outcomes of every attempt of a test. Runners retry only after a failure, so all attempts
 * before the last failed; the last has the final status. Tests that never ran have none.
 */
export function attemptOutcomes(status: TestStatus, attempts: number): AttemptOutcome[] {
  if (status !== 'passed' && status !== 'failed') return []
  const outcomes: AttemptOutcome[] = Array.from({ length: Math.max(0, attempts - 1) }, () => 'failed')
  outcomes.push(status)
  return outcomes
}

/**
 * Passed on retry: the test passed in the end after at least one failed attempt in the same run,
 * the definitive flaky evidence every serious tool uses (same code, same machine, both outcomes).
 */
export function passedOnRetry(test: { status: TestStatus; attempts: number }): boolean {
  return test.status === 'passed' && test.attempts > 1
}

/** A run's counts of tests by final status, and of tests that passed on retry. */
export interface RunTotals {
  files: number
  tests: number
  passed: number
  failed: number
  skipped: number
  todo: number
  flaky: number
}

export function emptyTotals(): RunTotals {
  return { files: 0, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0 }
}

/** Adds one file's tests to `totals` (in place, since the recorder counts file by file). */
export function addFileTotals(totals: RunTotals, tests: ReadonlyArray<{ status: TestStatus; attempts: number }>): RunTotals {
  totals.files++
  for (const test of tests) {
    totals.tests++
    if (test.status === 'passed') totals.passed++
    else if (test.status === 'failed') totals.failed++
    else if (test.status === 'todo') totals.todo++
    else totals.skipped++
    if (passedOnRetry(test)) totals.flaky++
  }
  return totals
}

/** The totals of whole files. */
export function runTotals(files: Iterable<{ tests: ReadonlyArray<{ status: TestStatus; attempts: number }> }>): RunTotals {
  const totals = emptyTotals()
  for (const file of files) addFileTotals(totals, file.tests)
  return totals
}

import type { AttemptOutcome, TestStatus } from '../records.js'

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

import type { RunRecord, TestHistory } from '../records.js'
import { passedOnRetry as isPassedOnRetry } from './outcomes.js'

/** The two kinds of flaky evidence every serious tool treats as definitive. */
export interface DefinitiveEvidence {
  /** Runs where the test failed, was retried, and passed. */
  passedOnRetry: number
  /** Code states (commit + clean tree, or one uncommitted directory) on which the test both passed and failed. */
  mixedOnSameCode: number
  /** Runs where the test ran (passed or failed). */
  runs: number
  failures: number
}

/**
 * Definitive flaky evidence from a test's history. Runs on a dirty tree only count as the same code
 * when no commit is known at all (one working directory, as in the demo); a dirty commit may
 * differ between runs, so it proves nothing.
 */
export function definitiveEvidence(test: TestHistory, runs: ReadonlyMap<number, RunRecord>): DefinitiveEvidence {
  const outcomesByCode = new Map<string, Set<string>>()
  let passedOnRetry = 0
  let ran = 0
  let failures = 0
  for (const entry of test.entries) {
    if (entry.status !== 'passed' && entry.status !== 'failed') continue
    ran++
    if (entry.status === 'failed') failures++
    if (isPassedOnRetry(entry)) passedOnRetry++
    const code = runs.get(entry.seq)?.code
    if (!code || (code.commit && code.dirty)) continue
    const key = code.commit ?? 'uncommitted'
    const seen = outcomesByCode.get(key) ?? new Set<string>()
    seen.add(entry.status)
    outcomesByCode.set(key, seen)
  }
  const mixedOnSameCode = Array.from(outcomesByCode.values()).filter((seen) => seen.size === 2).length
  return { passedOnRetry, mixedOnSameCode, runs: ran, failures }
}

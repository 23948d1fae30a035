import { compileGlob, matchesGlob } from '../scheduling/glob.js'
import type { Verdict } from '../verdicts/types.js'

/** The options quarantine reads. */
export interface QuarantinePolicy {
  quarantine: boolean | readonly string[]
  quarantineMinConfidence: number
}

/** What was decided about one failed test. */
export interface QuarantineDecision {
  quarantined: boolean
  /** Why, in a few words (shown beside the test when it was not quarantined). */
  reason: string
}

/** What is known about a failed test when the run ends. */
export interface FailedTestVerdicts {
  /** The file's path relative to the root (quarantine globs match it). */
  path: string
  /** The verdict after this run's analysis (or the stored one when the analysis did not run). */
  verdict: Pick<Verdict, 'verdict' | 'confidence'> | undefined
  /**
   * The verdict was `flaky` before this run: the run's analysis did not just make it so. A test that
   * becomes flaky with the failure being judged has no earlier verdict to be trusted for it.
   */
  flakyBefore: boolean
}

/**
 * Decides whether one failure is quarantined. Only a test that was already known to be flaky, is
 * still `flaky` after this run, at least `quarantineMinConfidence` sure, and in a file the
 * `quarantine` globs name (all files with `true`) is: a `failing` test is a real failure, a `new`
 * one has no history to call it flaky, and one the analysis just called flaky is judged by the very
 * failure it would excuse.
 */
export function decideQuarantine(test: FailedTestVerdicts, policy: QuarantinePolicy, globs = compileQuarantineGlobs(policy)): QuarantineDecision {
  if (policy.quarantine === false) return { quarantined: false, reason: 'quarantine is off' }
  if (globs && !globs.some((glob) => matchesGlob(glob, test.path))) return { quarantined: false, reason: 'its file is not in the quarantine globs' }
  const verdict = test.verdict
  if (!verdict) return { quarantined: false, reason: 'no verdict yet (new)' }
  if (verdict.verdict === 'failing') return { quarantined: false, reason: 'failing: a real failure is never quarantined' }
  if (verdict.verdict === 'new') return { quarantined: false, reason: 'new: too little history to call it flaky' }
  if (verdict.verdict !== 'flaky') return { quarantined: false, reason: `${verdict.verdict}, not known flaky` }
  if (!test.flakyBefore) return { quarantined: false, reason: 'became flaky with this run; quarantine needs a verdict from earlier runs' }
  if (verdict.confidence < policy.quarantineMinConfidence) {
    return { quarantined: false, reason: `flaky at ${Math.round(verdict.confidence * 100)}%, below quarantineMinConfidence ${Math.round(policy.quarantineMinConfidence * 100)}%` }
  }
  return { quarantined: true, reason: `known flaky (${Math.round(verdict.confidence * 100)}%)` }
}

/** The compiled globs of `quarantine`, or null when it applies to every file. */
export function compileQuarantineGlobs(policy: QuarantinePolicy): ReturnType<typeof compileGlob>[] | null {
  return Array.isArray(policy.quarantine) ? policy.quarantine.map((glob) => compileGlob(glob)) : null
}

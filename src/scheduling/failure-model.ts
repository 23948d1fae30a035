import type { FileEvidence } from './file-evidence.js'
import type { FileChange } from './plan-types.js'

/**
 * What the whole suite's history says about failures, as a prior for files with little history of
 * their own: the failure rate of one file run, and the median predicted duration (the duration
 * assumed for files never timed).
 */
export interface SuiteModel {
  /** Failures per file run across the suite, smoothed toward `PRIOR_RATE`. */
  failureRate: number
  /** Median predicted duration of the files with timings, in ms (1 without any). */
  medianMs: number
}

/**
 * Before any history, assume one file run in a hundred fails; `PRIOR_RUNS` pseudo-runs of that rate
 * are blended with the suite's real counts, so a few runs move the estimate and many runs own it.
 */
const PRIOR_RATE = 0.01
const PRIOR_RUNS = 50
/**
 * How risk grows with duration: a file `x` times longer is `x^0.3` times as likely to fail. Longer
 * files hold more tests and more I/O, but far from proportionally: on the development histories
 * (../shared/data/ci-history), files a hundred times longer failed three to five times as often.
 */
export const DURATION_EXPONENT = 0.3
/** Pseudo-runs of the prior in each file's own estimate: after ~5 runs a file's own record dominates. */
const FILE_PRIOR_RUNS = 5
/** New test files fail most often when first added; files changed since the last run come next. */
export const NEVER_RUN_FACTOR = 4
export const CHANGED_FACTOR = 4
export const RELATED_FACTOR = 2
/** No file is certain to fail or to pass. */
const MAX_PROBABILITY = 0.95
/** Durations below this count as this much: a file always costs its setup. */
export const MIN_DURATION_MS = 1

/** The suite-level prior from every file's evidence (all files in the store, not only this run's). */
export function suiteModel(evidence: Iterable<FileEvidence>): SuiteModel {
  let runs = 0
  let failures = 0
  const timings: number[] = []
  for (const e of evidence) {
    runs += e.ranRuns
    failures += e.failedRuns
    if (e.predictedMs !== null) timings.push(e.predictedMs)
  }
  return {
    failureRate: (failures + PRIOR_RATE * PRIOR_RUNS) / (runs + PRIOR_RUNS),
    medianMs: timings.length ? Math.max(MIN_DURATION_MS, median(timings)) : MIN_DURATION_MS,
  }
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort()
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The duration the planner assumes: the file's prediction, or the suite median for files never timed. */
export function assumedDurationMs(evidence: FileEvidence, suite: SuiteModel): number {
  return Math.max(MIN_DURATION_MS, evidence.predictedMs ?? suite.medianMs)
}

/** A pessimistic duration for deadlines: the file's p90, else its prediction, else the suite median. */
export function pessimisticDurationMs(evidence: FileEvidence, suite: SuiteModel): number {
  return Math.max(MIN_DURATION_MS, evidence.p90Ms ?? evidence.predictedMs ?? suite.medianMs)
}

/** The prior probability that a file of this duration fails, before its own record is counted. */
export function priorProbability(durationMs: number, suite: SuiteModel): number {
  return Math.min(MAX_PROBABILITY, suite.failureRate * Math.pow(durationMs / suite.medianMs, DURATION_EXPONENT))
}

/**
 * The probability that a file fails this run. Two views of its record, the larger wins:
 * - its long-run failure rate over the window, shrunk toward the prior so two passing runs do not
 *   make a file look safe (and young files look riskier than proven ones);
 * - its recency-weighted failure score, because a file that just failed usually fails again
 *   (a broken test stays broken until fixed: on the development data ~20% of files that failed
 *   failed again in their next run, against ~0.2% of the rest).
 * Files never run, or changed since the last run, get the prior raised by a factor. `durationMs` is
 * the assumed duration, when the caller has it already.
 */
export function failureProbability(evidence: FileEvidence, change: FileChange, suite: SuiteModel, durationMs = assumedDurationMs(evidence, suite)): number {
  const prior = priorProbability(durationMs, suite)
  let p: number
  if (evidence.ranRuns === 0) p = prior * NEVER_RUN_FACTOR
  else {
    const longRun = (evidence.failedRuns + FILE_PRIOR_RUNS * prior) / (evidence.ranRuns + FILE_PRIOR_RUNS)
    p = Math.max(longRun, evidence.failureScore)
  }
  if (change === 'changed') p *= CHANGED_FACTOR
  else if (change === 'related') p *= RELATED_FACTOR
  return Math.min(MAX_PROBABILITY, p)
}

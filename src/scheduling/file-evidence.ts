import { FLAG_FIRST_ON_WORKER, FLAG_PARTIAL_DURATION, type HistoryWindow } from '../store/history-window.js'

/** What the history says about one file, as the planner uses it. */
export interface FileEvidence {
  /** Runs in the window. */
  runs: number
  /** Status of the newest run where the file ran (not skipped), or null. */
  lastStatus: 'passed' | 'failed' | null
  /** Predicted duration in ms (median of the newest runs), or null without timing history. */
  predictedMs: number | null
  /** How many of the runs in the window predicted the duration. */
  timedRuns: number
  /** A high quantile (p90) of the recent durations: a pessimistic estimate for deadlines and packing. */
  p90Ms: number | null
  /** Sequence number of the newest run in the window, or 0. */
  lastSeq: number
  /** Sequence number of the newest run where the file failed, or 0. */
  lastFailedSeq: number
  /** Failure rate weighted toward recent runs (each older run counts `FAILURE_DECAY` times less), 0 to 1. */
  failureScore: number
  /** Runs where the file ran (passed or failed), and how many of those failed. */
  ranRuns: number
  failedRuns: number
  /** Changes between passed and failed from one run to the next. */
  flips: number
}

/** Evidence by file id, as the planner reads it: a `Map`, or the store's plan index. */
export interface EvidenceLookup {
  readonly size: number
  get(fileId: string): FileEvidence | undefined
}

/** A plain-object copy of any evidence (the store's packed evidence reads through getters, which a spread does not copy). */
export function plainEvidence(e: FileEvidence): FileEvidence {
  return {
    runs: e.runs,
    lastStatus: e.lastStatus,
    predictedMs: e.predictedMs,
    timedRuns: e.timedRuns,
    p90Ms: e.p90Ms,
    lastSeq: e.lastSeq,
    lastFailedSeq: e.lastFailedSeq,
    failureScore: e.failureScore,
    ranRuns: e.ranRuns,
    failedRuns: e.failedRuns,
    flips: e.flips,
  }
}

/** Durations come from the newest runs only: suites change, old timings mislead. */
const TIMING_RUNS = 5
const QUANTILE_RUNS = 20
/** Weight of each older run in the failure score; 0.8 halves a failure's weight in about 3 runs. */
export const FAILURE_DECAY = 0.8
const PASSED = 0
const FAILED = 1

export const NO_EVIDENCE: Readonly<FileEvidence> = Object.freeze({
  runs: 0,
  lastStatus: null,
  predictedMs: null,
  timedRuns: 0,
  p90Ms: null,
  lastSeq: 0,
  lastFailedSeq: 0,
  failureScore: 0,
  ranRuns: 0,
  failedRuns: 0,
  flips: 0,
})

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  const high = Math.ceil(at)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low)
}

/**
 * Evidence from a file's window. The prediction is the median of the newest runs that ran, so
 * one slow outlier (a cold cache, a loaded CI box) does not reorder the suite.
 */
export function fileEvidence(window: HistoryWindow | undefined): FileEvidence {
  if (!window || window.length === 0) return { ...NO_EVIDENCE }
  let lastStatus: FileEvidence['lastStatus'] = null
  let lastFailedSeq = 0
  let weight = 1
  let weightSum = 0
  let failedWeight = 0
  let ranRuns = 0
  let failedRuns = 0
  let flips = 0
  let newerStatus = -1
  // Durations by how much they say about the file alone: whole and position-free first; then those
  // of files that started a worker (they carry its cold start); then schema-1 Vitest durations of
  // the tests only. A prediction uses the best kind it has.
  const durations: number[] = []
  const firstOnWorker: number[] = []
  const partial: number[] = []
  for (let i = window.length - 1; i >= 0; i--) {
    const status = window.statusCode(i)
    if (status !== PASSED && status !== FAILED) continue
    ranRuns++
    lastStatus ??= status === FAILED ? 'failed' : 'passed'
    if (status === FAILED) {
      failedRuns++
      failedWeight += weight
      if (lastFailedSeq === 0) lastFailedSeq = window.seq(i)
    }
    weightSum += weight
    weight *= FAILURE_DECAY
    if (newerStatus !== -1 && newerStatus !== status) flips++
    newerStatus = status
    const flags = window.flags(i)
    const kind = flags & FLAG_PARTIAL_DURATION ? partial : flags & FLAG_FIRST_ON_WORKER ? firstOnWorker : durations
    if (kind.length < QUANTILE_RUNS) kind.push(window.durationMs(i))
  }
  if (durations.length === 0) durations.push(...(firstOnWorker.length ? firstOnWorker : partial))
  const recent = durations.slice(0, TIMING_RUNS).sort((a, b) => a - b)
  const all = durations.sort((a, b) => a - b)
  return {
    runs: window.length,
    lastStatus,
    predictedMs: recent.length ? quantile(recent, 0.5) : null,
    timedRuns: recent.length,
    p90Ms: all.length ? quantile(all, 0.9) : null,
    lastSeq: window.seq(window.length - 1),
    lastFailedSeq,
    failureScore: weightSum ? failedWeight / weightSum : 0,
    ranRuns,
    failedRuns,
    flips,
  }
}

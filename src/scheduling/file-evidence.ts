import type { HistoryWindow } from '../store/history-window.js'

/** What the history says about one file, as the planner uses it. */
export interface FileEvidence {
  /** Runs in the window. */
  runs: number
  /** Status of the newest run where the file ran (not skipped), or null. */
  lastStatus: 'passed' | 'failed' | null
  /** Predicted duration in ms, or null without timing history. */
  predictedMs: number | null
  /** How many of the runs in the window predicted the duration. */
  timedRuns: number
}

/** Durations come from the newest runs only: suites change, old timings mislead. */
const TIMING_RUNS = 5
const PASSED = 0
const FAILED = 1

/**
 * Evidence from a file's window. The duration is the median of the newest runs that ran,
 * so one slow outlier (a cold cache, a loaded CI box) does not reorder the suite.
 */
export function fileEvidence(window: HistoryWindow | undefined): FileEvidence {
  if (!window || window.length === 0) return { runs: 0, lastStatus: null, predictedMs: null, timedRuns: 0 }
  let lastStatus: FileEvidence['lastStatus'] = null
  const durations: number[] = []
  for (let i = window.length - 1; i >= 0 && durations.length < TIMING_RUNS; i--) {
    const status = window.statusCode(i)
    if (status !== PASSED && status !== FAILED) continue
    lastStatus ??= status === FAILED ? 'failed' : 'passed'
    durations.push(window.durationMs(i))
  }
  durations.sort((a, b) => a - b)
  const middle = durations.length >> 1
  const predictedMs =
    durations.length === 0 ? null : durations.length % 2 ? durations[middle]! : (durations[middle - 1]! + durations[middle]!) / 2
  return { runs: window.length, lastStatus, predictedMs, timedRuns: durations.length }
}

import type { HistoryWindow } from '../store/history-window.js'
import { fileEvidence, type FileEvidence } from './file-evidence.js'

/** One file in a plan, with the reason it sits where it does. */
export interface PlannedFile {
  fileId: string
  /** Predicted duration in ms; null for files never timed. */
  predictedMs: number | null
  lastStatus: FileEvidence['lastStatus']
  reason: string
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/** Lower ranks run first. */
const FAILED_LAST_TIME = 0
const NEVER_SEEN = 1
const KNOWN = 2

/**
 * Orders files by what their history says:
 * 1. files that failed in their last run, because a failure is the feedback a developer waits
 *    for and the best predictor of the next failure;
 * 2. files never run before, because new test files fail most often when first added;
 * 3. the rest longest predicted duration first, so the slow tail starts early and parallel
 *    workers finish together.
 * Ties keep a stable order by file id, so every machine plans the same order from the same history.
 */
export function planOrder(fileIds: readonly string[], windows: ReadonlyMap<string, HistoryWindow>): PlannedFile[] {
  const planned = fileIds.map((fileId) => {
    const evidence = fileEvidence(windows.get(fileId))
    const rank =
      evidence.lastStatus === 'failed' ? FAILED_LAST_TIME : evidence.runs === 0 || evidence.predictedMs === null ? NEVER_SEEN : KNOWN
    const timing = evidence.predictedMs === null ? '' : `, predicted ${formatMs(evidence.predictedMs)} (median of last ${evidence.timedRuns})`
    const reason =
      rank === FAILED_LAST_TIME
        ? `failed in its last run${timing}`
        : rank === NEVER_SEEN
          ? 'never run before: new tests fail most often'
          : `longest first${timing}`
    return { fileId, predictedMs: evidence.predictedMs, lastStatus: evidence.lastStatus, reason, rank }
  })
  planned.sort(
    (a, b) =>
      a.rank - b.rank ||
      (b.predictedMs ?? 0) - (a.predictedMs ?? 0) ||
      (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0),
  )
  return planned.map(({ rank: _rank, ...file }) => file)
}

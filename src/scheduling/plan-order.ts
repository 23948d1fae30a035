import { NO_EVIDENCE, type FileEvidence } from './file-evidence.js'
import type { PlannedFile } from './plan-types.js'

export type { PlannedFile } from './plan-types.js'

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/** Lower ranks run first. */
const FAILED_LAST_TIME = 0
const NEVER_SEEN = 1
const KNOWN = 2

function reasonOf(rank: number, evidence: FileEvidence): string {
  if (rank === NEVER_SEEN) return 'never run before: new tests fail most often'
  const timing = evidence.predictedMs === null ? '' : `, predicted ${formatMs(evidence.predictedMs)} (median of last ${evidence.timedRuns})`
  return rank === FAILED_LAST_TIME ? `failed in its last run${timing}` : `longest first${timing}`
}

/**
 * Orders files by what their history says:
 * 1. files that failed in their last run, because a failure is the feedback a developer waits
 *    for and the best predictor of the next failure;
 * 2. files never run before, because new test files fail most often when first added;
 * 3. the rest longest predicted duration first, so the slow tail starts early and parallel
 *    workers finish together.
 * Ties keep a stable order by file id, so every machine plans the same order from the same history.
 */
export function planOrder(fileIds: readonly string[], evidenceByFile: ReadonlyMap<string, FileEvidence>): PlannedFile[] {
  const count = fileIds.length
  const evidence = new Array<FileEvidence>(count)
  const ranks = new Uint8Array(count)
  const predicted = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const e = evidenceByFile.get(fileIds[i]!) ?? NO_EVIDENCE
    evidence[i] = e
    ranks[i] = e.lastStatus === 'failed' ? FAILED_LAST_TIME : e.runs === 0 || e.predictedMs === null ? NEVER_SEEN : KNOWN
    predicted[i] = e.predictedMs ?? 0
  }
  const order = Array.from({ length: count }, (_, i) => i)
  order.sort((a, b) => {
    const byRank = ranks[a]! - ranks[b]!
    if (byRank !== 0) return byRank
    const byTime = predicted[b]! - predicted[a]!
    if (byTime !== 0) return byTime
    const idA = fileIds[a]!
    const idB = fileIds[b]!
    return idA < idB ? -1 : idA > idB ? 1 : 0
  })
  return order.map((i) => ({
    fileId: fileIds[i]!,
    predictedMs: evidence[i]!.predictedMs,
    lastStatus: evidence[i]!.lastStatus,
    reason: reasonOf(ranks[i]!, evidence[i]!),
  }))
}

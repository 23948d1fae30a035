import type { FileRecord, HistoryEntry } from '../records.js'
import { parallelOrderMetrics } from '../replay/order-metrics.js'
import { NO_EVIDENCE, type FileEvidence } from '../scheduling/file-evidence.js'
import { planOrder } from '../scheduling/plan-order.js'

/** When the run showed its first failure, and when the runner's own order would have. */
export interface FirstFailure {
  /** Files that failed. */
  failedFiles: number
  workers: number
  /** Measured: from the run's start until the first failing file finished; null without failures. */
  measuredMs: number | null
  /** Both orders replayed on `workers` workers with this run's own durations (list scheduling, as the runners dispatch). */
  simulatedMs: number | null
  runnerDefaultMs: number | null
  /** The run's order was the runner's default order (no history yet, or the same order as the runner's rule gives). */
  sameAsDefault: boolean
}

/** A file's last run before `seq`: its status and duration, as the runners' caches keep them. */
function previousRun(entries: readonly HistoryEntry[], seq: number): HistoryEntry | undefined {
  let previous: HistoryEntry | undefined
  for (const entry of entries) if (entry.seq < seq && (entry.status === 'passed' || entry.status === 'failed')) previous = entry
  return previous
}

/**
 * The time to the first failure of a run, against the order Jest and Vitest give by themselves
 * (failed last time first, then files never seen, then the longest first, from their cache of the
 * previous run: `planOrder` with each file's last status and duration). Both orders are replayed with
 * the durations and failures of this run, so the difference is the order's alone.
 */
export function firstFailure(
  records: readonly FileRecord[],
  order: readonly string[],
  historyOf: (fileId: string) => readonly HistoryEntry[],
  runStartedAt: number,
  runSeq: number,
  workers: number,
): FirstFailure {
  const byId = new Map(records.map((record) => [record.fileId, record]))
  const actual = order.length === records.length && order.every((id) => byId.has(id)) ? order.slice() : records.slice().sort((a, b) => a.startedAt - b.startedAt).map((record) => record.fileId)
  const failing = records.filter((record) => record.status === 'failed')
  let measuredMs: number | null = null
  for (const record of failing) {
    const finished = record.startedAt + record.durationMs - runStartedAt
    if (measuredMs === null || finished < measuredMs) measuredMs = Math.max(0, finished)
  }
  const evidence = new Map<string, FileEvidence>()
  let known = 0
  for (const record of records) {
    const previous = previousRun(historyOf(record.fileId), runSeq)
    if (previous) known++
    evidence.set(record.fileId, previous ? { ...NO_EVIDENCE, runs: 1, ranRuns: 1, lastStatus: previous.status === 'failed' ? 'failed' : 'passed', predictedMs: previous.durationMs, timedRuns: 1 } : { ...NO_EVIDENCE })
  }
  const runnerOrder = planOrder(records.map((record) => record.fileId), evidence).map((file) => file.fileId)
  const outcomes = (ids: readonly string[]) => ids.map((id) => ({ failed: byId.get(id)!.status === 'failed', durationMs: byId.get(id)!.durationMs }))
  const simulated = parallelOrderMetrics(outcomes(actual), workers).timeToFirstFailureMs
  // Without any history both runners order by what flakeline cannot see (file sizes), and flakeline's
  // sequencer leaves the first run to them: the run's order is the runner's own.
  const firstRun = known === 0
  const runnerDefault = firstRun ? simulated : parallelOrderMetrics(outcomes(runnerOrder), workers).timeToFirstFailureMs
  return {
    failedFiles: failing.length,
    workers,
    measuredMs,
    simulatedMs: simulated,
    runnerDefaultMs: runnerDefault,
    sameAsDefault: firstRun || actual.every((id, i) => runnerOrder[i] === id),
  }
}

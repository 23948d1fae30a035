import type { RunRecord, WorkerStartup } from '../records.js'

/** What the recorder knows of one file's start-up. */
export interface FileStartup {
  fileId: string
  durationMs: number
  overheadMs: number
  firstOnWorker: boolean
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * What starting workers cost a run, measured apart from the files so no file's prediction carries
 * it (the first file of a worker once took 49 s in a suite whose files take 0.1 s):
 * - when more files paid start-up than there are workers, every file is prepared afresh (Vitest's
 *   `isolate`): the cost is per file, the median of what they paid;
 * - otherwise each worker paid once: per worker, the median over the files that started one of
 *   their measured start-up plus how much longer they took than predicted from runs where they did
 *   not start a worker (cold transform and module caches, which the runners count as the file's).
 * Null when nothing was measured (no file, or a runner that reports no start-up).
 */
export function workerStartup(files: readonly FileStartup[], workers: number, predictedMs: (fileId: string) => number | null): WorkerStartup | null {
  if (files.length === 0) return null
  const paid = files.filter((file) => file.overheadMs > 0)
  if (paid.length > Math.max(1, workers)) {
    return { perWorkerMs: 0, perFileMs: median(files.map((file) => file.overheadMs)) }
  }
  const first = files.filter((file) => file.firstOnWorker)
  if (first.length === 0) return paid.length ? { perWorkerMs: median(paid.map((file) => file.overheadMs)), perFileMs: 0 } : null
  const costs = first.map((file) => {
    const predicted = predictedMs(file.fileId)
    return file.overheadMs + (predicted === null ? 0 : Math.max(0, file.durationMs - predicted))
  })
  return { perWorkerMs: median(costs), perFileMs: 0 }
}

/** Runs whose start-up the plan predicts from. */
export const STARTUP_RUNS = 5

/**
 * The start-up the next run will likely pay: the median of each part over the newest runs that
 * measured it (`recentRuns`, newest first). Null when none did (older runs, imported history).
 */
export function predictedStartup(recentRuns: readonly RunRecord[]): WorkerStartup | null {
  const measured = recentRuns.filter((run) => run.startup && run.status !== 'running').slice(0, STARTUP_RUNS).map((run) => run.startup!)
  if (measured.length === 0) return null
  return { perWorkerMs: median(measured.map((startup) => startup.perWorkerMs)), perFileMs: median(measured.map((startup) => startup.perFileMs)) }
}

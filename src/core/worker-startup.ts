import type { RunRecord, WorkerStartup } from '../records.js'
import { simulateOrder } from '../scheduling/worker-pool-simulation.js'

/** What the recorder knows of one file's place in the run. */
export interface FileStartup {
  fileId: string
  /** When the file's own time began (its start-up comes before), its own cost, and its measured start-up. */
  startedAt: number
  durationMs: number
  overheadMs: number
  firstOnWorker: boolean
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Makespan of list scheduling `durations` (in their order) on `workers`. */
function listMakespan(durations: readonly number[], workers: number, extraMs: number): number {
  return simulateOrder(durations.map((ms) => ms + extraMs), workers).makespan
}

/**
 * What running the files cost beyond the files themselves, measured so the plan's simulation
 * reproduces the run (the first file of a worker once took 49 s in a suite whose files take 0.1 s,
 * and Vitest starts a process per file, which no file's own timings show):
 * - `perFileMs`: what each file costs its worker beyond its own time: the start-up measured around
 *   it (Vitest's prepare and environment, Jest's wait for a worker), on average, plus the per-file
 *   cost that makes list scheduling of the files, in the order they started, on `workers` workers
 *   last as long as the run's files did (first start to last end): process spawns, IPC, cold
 *   caches. Found by bisection; 0 when the files alone explain the run.
 * - `perWorkerMs`: the run's fixed cost: from its start to its first file (workers starting, the
 *   runner collecting files) and from its last file to its end.
 * Null when nothing ran.
 */
export function workerStartup(files: readonly FileStartup[], workers: number, run: { startedAt: number; endedAt: number }): WorkerStartup | null {
  const timed = files.filter((file) => Number.isFinite(file.startedAt) && file.startedAt > 0)
  if (timed.length === 0) return null
  const ordered = timed.slice().sort((a, b) => a.startedAt - b.startedAt)
  const phaseStart = Math.min(...ordered.map((file) => file.startedAt - file.overheadMs))
  const phaseEnd = Math.max(...ordered.map((file) => file.startedAt + file.durationMs))
  const phase = phaseEnd - phaseStart
  const slots = ordered.map((file) => file.durationMs + file.overheadMs)
  const count = Math.max(1, Math.floor(workers))
  let low = 0
  let high = Math.max(0, phase)
  if (listMakespan(slots, count, 0) >= phase) high = 0
  for (let step = 0; step < 40 && high - low > 0.5; step++) {
    const mid = (low + high) / 2
    if (listMakespan(slots, count, mid) < phase) low = mid
    else high = mid
  }
  const meanOverhead = ordered.reduce((sum, file) => sum + file.overheadMs, 0) / ordered.length
  const fixed = Math.max(0, phaseStart - run.startedAt) + Math.max(0, run.endedAt - phaseEnd)
  return { perWorkerMs: Math.round(fixed), perFileMs: Math.round((meanOverhead + high) * 10) / 10 }
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

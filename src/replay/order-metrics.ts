import { WorkerPoolSimulation } from '../scheduling/worker-pool-simulation.js'

/** One file of a finished run as the metrics see it: did it fail, and how long did it take. */
export interface Outcome {
  failed: boolean
  durationMs: number
}

/** The metrics of one order of one run. Null where undefined (no failures, or no time). */
export interface OrderMetrics {
  /** Average percentage of faults detected: 1 - sum(TF_i)/(n*m) + 1/(2n). */
  apfd: number | null
  /** APFD with costs: how much of the run's time is still ahead when each failure shows. */
  apfdc: number | null
  /** Normalised APFD when only `budget` of the total time may be spent (RETECS protocol). */
  napfd: number | null
  /** Time from the start until the first failing file finishes, running the order one file at a time. */
  timeToFirstFailureMs: number | null
}

/** The README's budget: half of the run's total duration. */
export const NAPFD_BUDGET = 0.5

/**
 * The standard test-prioritisation metrics for `outcomes` listed in run order (n files, m of them
 * failing, TF_i the 1-based rank of the i-th failing file, t_j the duration at rank j):
 * - APFD = 1 - ΣTF_i/(n·m) + 1/(2n)
 * - APFDc = Σ_i(Σ_{j≥TF_i} t_j - t_{TF_i}/2) / (Σ_j t_j · m); with no time at all it equals APFD
 * - NAPFD: walk the order, schedule a file only if it still fits in `budget` of the total time,
 *   keep going after one that does not; p = detected/m; NAPFD = p - ΣTF_i/(n·m) + p/(2n) over the
 *   detected ones (their ranks in the scheduled order)
 * - time to first failure: the cumulative duration through the first failing file.
 * All are null for a run without failures, which says nothing about order.
 */
export function orderMetrics(outcomes: readonly Outcome[], budget = NAPFD_BUDGET): OrderMetrics {
  const n = outcomes.length
  let m = 0
  let rankSum = 0
  let total = 0
  for (let j = 0; j < n; j++) {
    total += outcomes[j]!.durationMs
    if (outcomes[j]!.failed) {
      m++
      rankSum += j + 1
    }
  }
  if (m === 0) return { apfd: null, apfdc: null, napfd: null, timeToFirstFailureMs: null }
  const apfd = 1 - rankSum / (n * m) + 1 / (2 * n)

  let remaining = total
  let costSum = 0
  let elapsed = 0
  let firstFailure: number | null = null
  for (let j = 0; j < n; j++) {
    const { failed, durationMs } = outcomes[j]!
    if (failed) costSum += remaining - durationMs / 2
    remaining -= durationMs
    elapsed += durationMs
    if (failed && firstFailure === null) firstFailure = elapsed
  }
  const apfdc = total > 0 ? costSum / (total * m) : apfd

  const allowed = total * budget
  let used = 0
  let scheduled = 0
  let detected = 0
  let detectedRanks = 0
  for (let j = 0; j < n; j++) {
    const { failed, durationMs } = outcomes[j]!
    if (used + durationMs > allowed) continue
    used += durationMs
    scheduled++
    if (failed) {
      detected++
      detectedRanks += scheduled
    }
  }
  const p = detected / m
  const napfd = p - detectedRanks / (n * m) + p / (2 * n)
  return { apfd, apfdc, napfd, timeToFirstFailureMs: firstFailure }
}

/** What an order costs on several workers. */
export interface ParallelOrderMetrics {
  /** When the last worker finishes. */
  makespanMs: number
  /** When the first failing file finishes (the first failure a developer sees); null without failures. */
  timeToFirstFailureMs: number | null
}

/**
 * Runs `outcomes` in order on `workers` workers as the runners do (each file to the first free
 * worker) with the durations they really took: the makespan, and when the first failure shows. On
 * several workers the first failure is the failing file that finishes first, not the first listed.
 */
export function parallelOrderMetrics(outcomes: readonly Outcome[], workers: number): ParallelOrderMetrics {
  const pool = new WorkerPoolSimulation(workers)
  let firstFailure: number | null = null
  for (const { failed, durationMs } of outcomes) {
    const finish = pool.dispatch(durationMs) + durationMs
    if (failed && (firstFailure === null || finish < firstFailure)) firstFailure = finish
  }
  return { makespanMs: pool.makespan, timeToFirstFailureMs: firstFailure }
}

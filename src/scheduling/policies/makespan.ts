import type { PlanFile } from '../plan-types.js'
import { describeDuration } from '../duration-text.js'
import { byKeyDescending, indices, type PolicyContext, type PolicyOrder } from './_policy.js'

/**
 * `lpt`, longest processing time first: on several workers, starting the longest files first keeps
 * one long file from starting last and running alone (Graham: within 4/3 of the best makespan).
 * Files never timed count as the suite's median duration.
 */
export function longestFirst(files: readonly PlanFile[], context: PolicyContext): PolicyOrder {
  const { durations } = context
  return {
    order: byKeyDescending(files, indices(files.length), durations),
    reason: (index) => `longest first: ${files[index]!.evidence.predictedMs === null ? `~${describeDuration(durations[index]!)} (never timed)` : describeDuration(durations[index]!)}`,
  }
}

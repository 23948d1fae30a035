import type { PlanFile } from '../plan-types.js'
import { describeDuration } from '../duration-text.js'
import { sortedIndices, type Placement, type PolicyContext } from './_policy.js'

/**
 * `lpt`, longest processing time first: on several workers, starting the longest files first keeps
 * one long file from starting last and running alone (Graham: within 4/3 of the best makespan).
 * Files never timed count as the suite's median duration.
 */
export function longestFirst(files: readonly PlanFile[], context: PolicyContext): Placement[] {
  const { durations } = context
  return sortedIndices(files, (a, b) => durations[b]! - durations[a]!).map((index) => ({
    index,
    reason: `longest first: ${files[index]!.evidence.predictedMs === null ? `~${describeDuration(durations[index]!)} (never timed)` : describeDuration(durations[index]!)}`,
  }))
}

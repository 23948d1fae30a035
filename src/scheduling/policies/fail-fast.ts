import type { PlanFile } from '../plan-types.js'
import { compareIds, failFastReason, sortedIndices, type Placement, type PolicyContext } from './_policy.js'

/**
 * `wspt`, weighted shortest processing time (Smith's rule) with the failure probability as the
 * weight: files by probability of failing per predicted second, highest first. Swapping two
 * neighbours shows why: running a before b finds a failure sooner on average exactly when
 * p_a / d_a > p_b / d_b, so this order minimises the expected time to the first failure and the
 * expected time of every failure (which is what APFDc measures).
 */
export function weightedShortestFirst(files: readonly PlanFile[], context: PolicyContext): Placement[] {
  const { probabilities, durations } = context
  return sortedIndices(files, (a, b) => probabilities[b]! / durations[b]! - probabilities[a]! / durations[a]!).map((index) => ({
    index,
    reason: `fail-fast: ${failFastReason(files[index]!, index, context)}`,
  }))
}

/**
 * `recent`, recent failures first: files by their recency-weighted failure score, ties in the order
 * the runner listed them. The common heuristic; kept as a policy and as a baseline for `replay`,
 * because it ignores durations and the chance that a file with no failures fails.
 */
export function recentFailuresFirst(files: readonly PlanFile[]): Placement[] {
  const order = Array.from({ length: files.length }, (_, i) => i)
  order.sort((a, b) => files[b]!.evidence.failureScore - files[a]!.evidence.failureScore || a - b)
  return order.map((index) => ({
    index,
    reason: files[index]!.evidence.failureScore > 0 ? `recent failures: score ${files[index]!.evidence.failureScore.toFixed(3)}` : 'no recent failures: runner order',
  }))
}

/** Used by `auto`: indices by failure probability per ms, highest first, ties by id. */
export function byFailureRate(files: readonly PlanFile[], indices: readonly number[], context: PolicyContext): number[] {
  const { probabilities, durations } = context
  return indices
    .slice()
    .sort((a, b) => probabilities[b]! / durations[b]! - probabilities[a]! / durations[a]! || compareIds(files[a]!.fileId, files[b]!.fileId))
}

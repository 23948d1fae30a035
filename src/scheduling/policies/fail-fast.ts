import type { PlanFile } from '../plan-types.js'
import { byKeyDescending, failFastReason, indices, type PolicyContext, type PolicyOrder } from './_policy.js'

/**
 * `wspt`, weighted shortest processing time (Smith's rule) with the failure probability as the
 * weight: files by probability of failing per predicted second, highest first. Swapping two
 * neighbours shows why: running a before b finds a failure sooner on average exactly when
 * p_a / d_a > p_b / d_b, so this order minimises the expected time to the first failure and the
 * expected time of every failure (which is what APFDc measures).
 */
export function weightedShortestFirst(files: readonly PlanFile[], context: PolicyContext): PolicyOrder {
  const { probabilities, durations } = context
  const ratio = new Float64Array(files.length)
  for (let i = 0; i < files.length; i++) ratio[i] = probabilities[i]! / durations[i]!
  return { order: byKeyDescending(files, indices(files.length), ratio), reason: (index) => `fail-fast: ${failFastReason(files[index]!, index, context)}` }
}

/**
 * `recent`, recent failures first: files by their recency-weighted failure score, ties in the order
 * the runner listed them. The common heuristic; kept as a policy and as a baseline for `replay`,
 * because it ignores durations and the chance that a file with no failures fails.
 */
export function recentFailuresFirst(files: readonly PlanFile[]): PolicyOrder {
  const order = indices(files.length).sort((a, b) => files[b]!.evidence.failureScore - files[a]!.evidence.failureScore || a - b)
  return {
    order,
    reason: (index) => (files[index]!.evidence.failureScore > 0 ? `recent failures: score ${files[index]!.evidence.failureScore.toFixed(3)}` : 'no recent failures: runner order'),
  }
}


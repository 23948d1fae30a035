import type { PlanFile } from '../plan-types.js'
import { describeDuration } from '../duration-text.js'
import { longestFirstMakespan } from '../worker-pool-simulation.js'
import { deadlineReason, priorityRank, priorityReason, sortedIndices, type PolicyContext, type PolicyOrder } from './_policy.js'
import { runnerDefault } from './runner-default.js'

/** The runner-default position of every file, as the tie-breaker of the deadline policies. */
function defaultRanks(files: readonly PlanFile[]): Int32Array {
  const ranks = new Int32Array(files.length)
  runnerDefault(files).order.forEach((index, rank) => (ranks[index] = rank))
  return ranks
}

/**
 * `edf`, earliest deadline first: files with a deadline by their deadline, because on one worker
 * EDF meets every deadline any order can meet (and on several it is the standard first try).
 * Files without a deadline follow by priority class, then in the runner's default order.
 */
export function earliestDeadlineFirst(files: readonly PlanFile[]): PolicyOrder {
  const ranks = defaultRanks(files)
  const order = sortedIndices(files, (a, b) => {
    const da = files[a]!.deadlineMs ?? Infinity
    const db = files[b]!.deadlineMs ?? Infinity
    return da - db || priorityRank(files[a]!) - priorityRank(files[b]!) || ranks[a]! - ranks[b]!
  })
  return {
    order,
    reason: (index) => (files[index]!.deadlineMs === null ? `no deadline: ${files[index]!.priority}, then runner default order` : `${deadlineReason(files[index]!)}: earliest deadline first`),
  }
}

/** How much longer than the longest-first makespan a run may take before packing steps in. */
export const PACKING_SLACK = 0.1

/**
 * `llf`, least laxity first: laxity is the time a file can wait and still finish by its deadline
 * (deadline minus its pessimistic duration). Unlike EDF it starts a long file with a late deadline
 * before a short one with an earlier deadline when the long one has less room. Files without a
 * deadline get the run's target end (the longest-first makespan) as theirs, so among them the
 * longest go first and workers finish together.
 */
export function leastLaxityFirst(files: readonly PlanFile[], context: PolicyContext): PolicyOrder {
  const target = longestFirstMakespan(context.durations, context.workers) * (1 + PACKING_SLACK)
  const laxity = files.map((file, i) => (file.deadlineMs === null ? target - context.durations[i]! : file.deadlineMs - context.pessimistic[i]!))
  return {
    order: sortedIndices(files, (a, b) => laxity[a]! - laxity[b]!),
    reason: (index) => `${files[index]!.deadlineMs === null ? 'no deadline' : deadlineReason(files[index]!)}: laxity ${describeDuration(Math.max(0, laxity[index]!))}`,
  }
}

/**
 * `priority`, fixed priorities: the class first (critical, high, normal, low); within a class the
 * shorter deadline first (deadline-monotonic, which is what rate-monotonic becomes for jobs that run
 * once), then the runner's default order. Predictable above all: a critical file always starts first.
 */
export function fixedPriority(files: readonly PlanFile[]): PolicyOrder {
  const ranks = defaultRanks(files)
  const order = sortedIndices(files, (a, b) => {
    const byClass = priorityRank(files[a]!) - priorityRank(files[b]!)
    if (byClass !== 0) return byClass
    const da = files[a]!.deadlineMs ?? Infinity
    const db = files[b]!.deadlineMs ?? Infinity
    return da - db || ranks[a]! - ranks[b]!
  })
  return {
    order,
    reason(index) {
      const file = files[index]!
      return file.deadlineMs === null ? `${priorityReason(file)}: fixed priority` : `${priorityReason(file)}, ${deadlineReason(file)}: fixed priority`
    },
  }
}

import { PRIORITIES, type PlanFile } from '../plan-types.js'
import { describeDuration } from '../duration-text.js'
import { WorkerPoolSimulation } from '../worker-pool-simulation.js'
import { byKeyDescending, compareIds, deadlineReason, failFastReason, indices, priorityRank, priorityReason, type PolicyContext, type PolicyOrder } from './_policy.js'
import { PACKING_SLACK } from './deadlines.js'

/**
 * `auto`, the default. It builds the order the way the runner will execute it, dispatching files
 * to simulated workers one at a time:
 * 1. priority classes in turn (critical, high, normal, low), because a class is a promise the user
 *    asked for;
 * 2. within a class, files with a deadline first, earliest deadline first, so deadlines are met
 *    before anything else is optimised;
 * 3. then fail-fast: the file with the highest failure probability per predicted second (Smith's
 *    rule, see `wspt`), which minimises the expected time to the first failure;
 * 4. except that a long file that would otherwise start too late to finish by the run's target end
 *    (the longest-first makespan plus `PACKING_SLACK`) starts now, so one long file does not run
 *    alone at the end while the other workers idle. With one worker the end does not depend on the
 *    order, and this rule never fires (and the files are not sorted by length at all).
 */
export function autoPolicy(files: readonly PlanFile[], context: PolicyContext): PolicyOrder {
  const { durations, probabilities, workers } = context
  const pool = new WorkerPoolSimulation(workers)
  // One sort by length serves both the target (longest-first makespan) and every class's packing.
  const allByLength = workers > 1 ? byKeyDescending(files, indices(files.length), durations) : null
  const target = allByLength ? makespanInOrder(allByLength, durations, workers) * (1 + PACKING_SLACK) : Infinity
  const order: number[] = []
  /** Why each file was placed: by deadline, packed early, or fail-fast. */
  const packed = new Uint8Array(files.length)
  const place = (index: number): void => {
    pool.dispatch(durations[index]!)
    order.push(index)
  }
  const ratio = new Float64Array(files.length)
  for (let i = 0; i < files.length; i++) ratio[i] = probabilities[i]! / durations[i]!
  const byClass = PRIORITIES.map(() => [] as number[])
  const classOf = new Uint8Array(files.length)
  files.forEach((file, index) => {
    classOf[index] = priorityRank(file)
    byClass[classOf[index]!]!.push(index)
  })
  const taken = new Uint8Array(files.length)
  for (const [rank, members] of byClass.entries()) {
    if (members.length === 0) continue
    const withDeadline = members
      .filter((i) => files[i]!.deadlineMs !== null)
      .sort((a, b) => files[a]!.deadlineMs! - files[b]!.deadlineMs! || compareIds(files[a]!.fileId, files[b]!.fileId))
    for (const index of withDeadline) place(index)

    const rest = members.filter((i) => files[i]!.deadlineMs === null)
    const byRatio = byKeyDescending(files, rest, ratio)
    // The class's files without a deadline, longest first, in the order of the one sort above.
    const byLength = !allByLength || rest.length === files.length ? (allByLength ?? []) : allByLength.filter((i) => classOf[i] === rank && files[i]!.deadlineMs === null)
    let nextByRatio = 0
    let nextByLength = 0
    for (let placed = 0; placed < rest.length; placed++) {
      while (taken[byRatio[nextByRatio]!]) nextByRatio++
      const best = byRatio[nextByRatio]!
      let pick = best
      if (allByLength) {
        while (taken[byLength[nextByLength]!]) nextByLength++
        const longest = byLength[nextByLength]!
        // The next chance to start anything is when a worker frees up after this dispatch.
        const nextChance = Math.min(pool.secondStart, pool.nextStart + durations[best]!)
        if (longest !== best && target - durations[longest]! < nextChance) pick = longest
      }
      packed[pick] = pick === best ? 0 : 1
      taken[pick] = 1
      place(pick)
    }
  }
  return {
    order,
    reason(index) {
      const file = files[index]!
      const prefix = file.prioritySource ? `${priorityReason(file)}; ` : ''
      if (file.deadlineMs !== null) return `${prefix}${deadlineReason(file)}: earliest deadline first`
      if (packed[index]) return `${prefix}long (${describeDuration(durations[index]!)}): started early so workers finish together`
      return `${prefix}fail-fast: ${failFastReason(file, index, context)}`
    },
  }
}

/** The makespan of dispatching `order` to `workers` workers. */
function makespanInOrder(order: readonly number[], durations: Float64Array, workers: number): number {
  const pool = new WorkerPoolSimulation(workers)
  for (const index of order) pool.dispatch(durations[index]!)
  return pool.makespan
}

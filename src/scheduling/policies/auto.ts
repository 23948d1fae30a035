import { PRIORITIES, type PlanFile } from '../plan-types.js'
import { describeDuration } from '../duration-text.js'
import { failureProbability, priorProbability, type SuiteModel } from '../failure-model.js'
import { NO_EVIDENCE, type FileEvidence } from '../file-evidence.js'
import { WorkerPoolSimulation } from '../worker-pool-simulation.js'
import { byKeyDescending, compareIds, deadlineReason, evidenceNote, failFastReason, indices, percent, priorityRank, priorityReason, type PolicyContext, type PolicyOrder } from './_policy.js'

/**
 * A file counts as likely to fail when its own evidence (failures, a change since the last run, no
 * run yet) makes it at least this many times as likely to fail as the same file with a clean record:
 * as many passing runs, unchanged (for a file never run, the prior of a file of its length). A file
 * with a clean record gains nothing from going first: a failure is as likely anywhere else. The
 * reference is the file's own clean record, not the suite prior, because a proven file sits well
 * below the prior: one with 20 passing runs that just changed is 4× as likely to fail as its
 * unchanged neighbours and still under the prior.
 */
export const LIKELY_OVER_CLEAN = 2
/**
 * With nothing likely to fail, the run may take at most 3 % longer than longest-first (LPT). The same
 * share of LPT's makespan is what makes a file "long": a file longer than that, started last, could
 * alone push the run past the budget, so long files always go longest first. Files shorter than it
 * can go in any order without breaking the budget (see `severalWorkers`), which lets the likely
 * files the budget held back go ahead of the other short ones.
 */
export const NOTHING_LIKELY_SLACK = 0.03
/** With files likely to fail, running them first may lengthen the run up to 5 % over LPT. */
export const FAIL_FAST_SLACK = 0.05

/** What the plan did to a file (deadline files are told apart by their deadline). */
const FAIL_FAST = 0
const RUN_EARLY = 1
const LONG = 2
/** Short files after the long ones: likely ones held back by the budget first, then the rest longest first. */
const PACKED = 3

/**
 * `auto`, the default:
 * 1. priority classes in turn (critical, high, normal, low), because a class is a promise the user
 *    asked for;
 * 2. within a class, files with a deadline first, earliest deadline first, so deadlines are met
 *    before anything else is optimised;
 * 3. on one worker, the rest by failure probability per predicted second (Smith's rule, see
 *    `wspt`): the run ends at the same time in any order, so only the time to a failure counts;
 * 4. on several workers the order also decides when the run ends, and shortest-first fail-fast
 *    starts the long files last (a 25 s file planned 109th of 110, the run 3–9 % longer than
 *    longest-first). So fail-fast is only for files likely to fail (`LIKELY_OVER_CLEAN`), as many of
 *    them as keep the run within 5 % of longest-first; everything else goes longest first (LPT),
 *    except that likely files the budget held back go ahead of the short files. With nothing likely
 *    to fail that is exactly LPT.
 */
export function autoPolicy(files: readonly PlanFile[], context: PolicyContext): PolicyOrder {
  const { durations, probabilities } = context
  const ratio = new Float64Array(files.length)
  for (let i = 0; i < files.length; i++) ratio[i] = probabilities[i]! / durations[i]!
  const classes = classMembers(files)
  const roles = new Uint8Array(files.length)
  /** Likely files that running early would have cost more than the budget. */
  const heldBack = new Uint8Array(files.length)
  const { order, lptMakespan } =
    context.workers === 1
      ? { order: classes.flatMap(({ deadlines, rest }) => [...deadlines, ...byKeyDescending(files, rest, ratio)]), lptMakespan: 0 }
      : severalWorkers(files, context, classes, ratio, roles, heldBack)
  return {
    order,
    reason(index) {
      const file = files[index]!
      const prefix = file.prioritySource ? `${priorityReason(file)}; ` : ''
      if (file.deadlineMs !== null) return `${prefix}${deadlineReason(file)}: earliest deadline first`
      const p = probabilities[index]!
      const held = heldBack[index] ? ' — likely to fail, but run earlier it would lengthen the run by more than 5%' : ''
      switch (roles[index]) {
        case RUN_EARLY:
          return `${prefix}fail-fast: ${failFastReason(file, index, context)}: likely to fail, run early`
        case LONG:
          return `${prefix}long (${describeDuration(durations[index]!)}, ${Math.round((100 * durations[index]!) / lptMakespan)}% of the run): longest first so workers finish together (LPT); ${evidenceNote(file)}: p(fail) ${percent(p)}${held}`
        case PACKED:
          return heldBack[index]
            ? `${prefix}packed after the long files, ahead of the short files less likely to fail: ${failFastReason(file, index, context)}${held}`
            : `${prefix}short (${describeDuration(durations[index]!)}): packed after the long files, longest first (LPT); ${evidenceNote(file)}: p(fail) ${percent(p)}`
        default:
          return `${prefix}fail-fast: ${failFastReason(file, index, context)}`
      }
    },
  }
}

/** Each class's files: those with a deadline in deadline order, and the rest. */
function classMembers(files: readonly PlanFile[]): Array<{ rank: number; deadlines: number[]; rest: number[] }> {
  const classes = PRIORITIES.map((_, rank) => ({ rank, deadlines: [] as number[], rest: [] as number[] }))
  for (let index = 0; index < files.length; index++) {
    const file = files[index]!
    const members = classes[priorityRank(file)]!
    if (file.deadlineMs === null) members.rest.push(index)
    else members.deadlines.push(index)
  }
  for (const { deadlines } of classes) deadlines.sort((a, b) => files[a]!.deadlineMs! - files[b]!.deadlineMs! || compareIds(files[a]!.fileId, files[b]!.fileId))
  return classes.filter((c) => c.deadlines.length + c.rest.length > 0)
}

/** One class laid out for several workers. */
interface ClassLayout {
  deadlines: number[]
  /** The candidate fail-fast prefix: likely files by probability per second. */
  likely: number[]
  /** The files without a deadline as they follow an empty prefix. */
  tail: Int32Array
}

/** `group` of a file with a deadline: placed by deadline, never moved by the rules below. */
const BY_DEADLINE = 255

/**
 * The order on several workers, class by class. Within a class: deadline files, then a prefix of the
 * likely files in fail-fast order, then the long files longest first, then the short likely files
 * the prefix left out (fail-fast), then the other short files longest first.
 *
 * Why the budgets hold. M is LPT's makespan for all files; "long" means longer than 3 % of M.
 * - Without a prefix, the long files are dispatched exactly as LPT dispatches them (they are LPT's
 *   first files), so none ends after M. The file that ends last, if short, started when every worker
 *   had been busy since 0 (list scheduling never idles a worker with files left), so it started by
 *   (total − d)/W ≤ M − d/W and ends by M + d(1 − 1/W) < 1.03 M.
 * - The prefix is all the likely files (fail-fast order) when the simulated run stays within 1.05 M,
 *   else a binary search finds a length that fits while one more file does not: a few simulations of
 *   the whole run, not one per file, so 50,000 files still plan in milliseconds. The makespan does not
 *   always grow with the prefix, so that length need not be the longest that fits; it always fits,
 *   because only simulated lengths are kept and the empty prefix fits (above).
 * Classes and deadlines can make M unreachable; then the prefix may not lengthen the run beyond what
 * the class would take without it. Later classes are simulated in their prefix-free layout, so each
 * class's choice is judged by the end of the whole run, not its own.
 */
function severalWorkers(
  files: readonly PlanFile[],
  context: PolicyContext,
  classes: ReturnType<typeof classMembers>,
  ratio: Float64Array,
  roles: Uint8Array,
  heldBack: Uint8Array,
): { order: number[]; lptMakespan: number } {
  const { durations, probabilities, workers, suite } = context
  const count = files.length
  const allByLength = byKeyDescending(files, indices(count), durations)
  const lpt = new WorkerPoolSimulation(workers)
  for (const index of allByLength) lpt.dispatch(durations[index]!)
  const longMs = NOTHING_LIKELY_SLACK * lpt.makespan
  const budget = (1 + FAIL_FAST_SLACK) * lpt.makespan
  // allByLength[0, firstShort) are the long files.
  let firstShort = 0
  while (firstShort < count && durations[allByLength[firstShort]!]! > longMs) firstShort++

  const isLikely = new Uint8Array(count)
  const group = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    if (likelyToFail(files[i]!, probabilities[i]!, durations[i]!, suite)) isLikely[i] = 1
    group[i] = files[i]!.deadlineMs === null ? priorityRank(files[i]!) : BY_DEADLINE
  }
  const layouts: ClassLayout[] = classes.map(({ rank, deadlines, rest }) => {
    const candidates: number[] = []
    for (const i of rest) if (isLikely[i]) candidates.push(i)
    const likely = byKeyDescending(files, candidates, ratio)
    // Everything after an empty prefix: the long files, the likely short ones, the other short ones.
    // A prefix's files are skipped in it, so one list serves every prefix tried.
    const tail = new Int32Array(rest.length)
    let size = 0
    for (let at = 0; at < firstShort; at++) {
      const index = allByLength[at]!
      if (group[index] === rank) tail[size++] = index
    }
    for (const index of likely) if (durations[index]! <= longMs) tail[size++] = index
    for (let at = firstShort; at < count; at++) {
      const index = allByLength[at]!
      if (group[index] === rank && !isLikely[index]) tail[size++] = index
    }
    return { deadlines, likely, tail }
  })

  // `stamp[i] === trial` marks the prefix being tried (or placed), without clearing between trials.
  const stamp = new Uint32Array(count)
  let trial = 0
  const pool = new WorkerPoolSimulation(workers)
  const order: number[] = []
  /** The run's makespan with the first `prefix` likely files of class `c` first, later classes without a prefix. */
  const makespanWith = (c: number, prefix: number): number => {
    trial++
    const run = pool.clone()
    const { likely, tail } = layouts[c]!
    for (let i = 0; i < prefix; i++) {
      stamp[likely[i]!] = trial
      run.dispatch(durations[likely[i]!]!)
    }
    for (let i = 0; i < tail.length; i++) if (stamp[tail[i]!] !== trial) run.dispatch(durations[tail[i]!]!)
    for (let later = c + 1; later < layouts.length; later++) {
      for (const index of layouts[later]!.deadlines) run.dispatch(durations[index]!)
      for (const index of layouts[later]!.tail) run.dispatch(durations[index]!)
    }
    return run.makespan
  }

  layouts.forEach((layout, c) => {
    for (const index of layout.deadlines) {
      pool.dispatch(durations[index]!)
      order.push(index)
    }
    const { likely } = layout
    let prefix = likely.length
    const whole = prefix > 0 ? makespanWith(c, prefix) : 0
    if (whole > budget) {
      // Only now is the run without a prefix needed: it is within budget unless classes or deadlines stretch it.
      const allowed = Math.max(budget, makespanWith(c, 0))
      if (whole > allowed) {
        // Invariant: a prefix of `low` fits, one of `high` does not.
        let low = 0
        let high = likely.length
        while (high - low > 1) {
          const middle = (low + high) >>> 1
          if (makespanWith(c, middle) <= allowed) low = middle
          else high = middle
        }
        prefix = low
      }
    }
    trial++
    const placedFrom = order.length
    for (let i = 0; i < prefix; i++) {
      stamp[likely[i]!] = trial
      order.push(likely[i]!)
      roles[likely[i]!] = RUN_EARLY
    }
    for (let i = prefix; i < likely.length; i++) heldBack[likely[i]!] = 1
    for (const index of layout.tail) {
      if (stamp[index] === trial) continue
      order.push(index)
      roles[index] = durations[index]! > longMs ? LONG : PACKED
    }
    // Later classes start from where this one leaves the workers; after the last one nothing is tried.
    if (c < layouts.length - 1) for (let i = placedFrom; i < order.length; i++) pool.dispatch(durations[order[i]!]!)
  })
  return { order, lptMakespan: lpt.makespan }
}

/**
 * A clean record with a file's run count, reused for every file (planning 50,000 files should not
 * allocate 50,000 of them). Not a spread of the file's evidence: the store's evidence reads through getters.
 */
const cleanRecord: FileEvidence = { ...NO_EVIDENCE }

/** Whether `auto` runs `file` early for its risk on several workers (see `LIKELY_OVER_CLEAN`). */
export function likelyToFail(file: PlanFile, probability: number, durationMs: number, suite: SuiteModel): boolean {
  const e = file.evidence
  // A clean record: its probability is the reference itself.
  if (e.ranRuns > 0 && e.failedRuns === 0 && e.failureScore === 0 && file.change === null) return false
  if (e.ranRuns === 0) return probability >= LIKELY_OVER_CLEAN * priorProbability(durationMs, suite)
  cleanRecord.runs = e.runs
  cleanRecord.ranRuns = e.ranRuns
  return probability >= LIKELY_OVER_CLEAN * failureProbability(cleanRecord, null, suite, durationMs)
}

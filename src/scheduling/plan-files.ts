import { plainEvidence, type FileEvidence } from './file-evidence.js'
import { assumedDurationMs, failureProbability, pessimisticDurationMs, type SuiteModel } from './failure-model.js'
import type { Plan, PlanFile, PlannedFile, PolicyName, PredictedMiss } from './plan-types.js'
import { simulateOrder } from './worker-pool-simulation.js'
import type { WorkerStartup } from '../records.js'
import type { FlakyPlacement } from '../config/options.js'
import type { Policy, PolicyContext } from './policies/_policy.js'
import { autoPolicy } from './policies/auto.js'
import { earliestDeadlineFirst, fixedPriority, leastLaxityFirst } from './policies/deadlines.js'
import { recentFailuresFirst, weightedShortestFirst } from './policies/fail-fast.js'
import { longestFirst } from './policies/makespan.js'
import { runnerDefault } from './policies/runner-default.js'
import { seededShuffle } from './policies/shuffle.js'

const POLICY_FUNCTIONS: Readonly<Record<PolicyName, Policy>> = {
  auto: autoPolicy,
  edf: earliestDeadlineFirst,
  llf: leastLaxityFirst,
  priority: fixedPriority,
  wspt: weightedShortestFirst,
  lpt: longestFirst,
  shuffle: seededShuffle,
  recent: recentFailuresFirst,
  default: runnerDefault,
}

export interface PlanSettings {
  policy: PolicyName
  /** Workers the runner will use; the simulation and `auto`'s packing assume this many. */
  workers: number
  /** Seed of `shuffle`. */
  seed: number
  suite: SuiteModel
  /** Write each file's reason (default true); sequencers skip them, `flakeline plan` shows them. */
  explain?: boolean
  /** What starting workers costs (`predictedStartup`): each file pays `perFileMs`, each worker `perWorkerMs` before its first file. */
  startup?: WorkerStartup | null
  /** Where files with a `flaky` verdict go (default `last`). */
  flakyPlacement?: FlakyPlacement
}

/** The numbers every policy reads, computed once. */
export function policyContext(files: readonly PlanFile[], settings: PlanSettings): PolicyContext {
  const count = files.length
  const perFileMs = settings.startup?.perFileMs ?? 0
  const durations = new Float64Array(count)
  const pessimistic = new Float64Array(count)
  const probabilities = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const file = files[i]!
    // A known-flaky file is paid once per expected attempt (its retries), in packing and simulation.
    const attempts = file.verdict?.kind === 'flaky' ? Math.max(1, file.verdict.expectedAttempts) : 1
    const duration = (assumedDurationMs(file.evidence, settings.suite) + perFileMs) * attempts
    durations[i] = duration
    // Only deadlines read the pessimistic duration; other files keep the assumed one.
    pessimistic[i] = file.deadlineMs === null ? duration : Math.max(duration, pessimisticDurationMs(file.evidence, settings.suite))
    // Failures a flaky verdict explains are no evidence of a real failure: such a file is judged as if
    // its record were clean (its change since the last run still counts).
    probabilities[i] = failureProbability(file.verdict?.kind === 'flaky' ? withoutFailures(file.evidence) : file.evidence, file.change, settings.suite, duration)
  }
  return { workers: Math.max(1, settings.workers), seed: settings.seed >>> 0, suite: settings.suite, durations, pessimistic, probabilities }
}

/**
 * Orders `files` with `settings.policy`, then simulates the run on the worker count from predicted
 * durations: each file's predicted start and finish, the makespan, and the deadlines predicted to
 * be missed (a file misses when its start plus its pessimistic p90 duration passes its deadline).
 */
export function planFiles(files: readonly PlanFile[], settings: PlanSettings): Plan {
  const context = policyContext(files, settings)
  const planned = POLICY_FUNCTIONS[settings.policy](files, context)
  const placement = settings.flakyPlacement ?? 'last'
  const indices = placeFlaky(planned.order, files, placement, context)
  const reason = (index: number): string => {
    const text = planned.reason(index)
    const verdict = files[index]!.verdict
    if (verdict?.kind !== 'flaky') return text
    const where = placement === 'last' ? 'run after the others of its class' : placement === 'first' ? 'run before the others of its class' : 'left where its evidence puts it'
    return `${text}; known flaky (${Math.round(verdict.confidence * 100)}%): its failures do not count as evidence, ${where} (flakyPlacement: ${placement})`
  }
  const inOrder = new Float64Array(indices.length)
  for (let position = 0; position < indices.length; position++) inOrder[position] = context.durations[indices[position]!]!
  // Every worker starts up before its first file; that shifts all starts alike, so no policy's choice changes.
  const { starts, makespan } = simulateOrder(inOrder, context.workers, settings.startup?.perWorkerMs ?? 0)
  const misses: PredictedMiss[] = []
  const explain = settings.explain ?? true
  const order = indices.map((index, position): PlannedFile => {
    const file = files[index]!
    const startMs = starts[position]!
    if (file.deadlineMs !== null && startMs + context.pessimistic[index]! > file.deadlineMs) {
      misses.push({ fileId: file.fileId, deadlineMs: file.deadlineMs, finishMs: startMs + context.pessimistic[index]! })
    }
    return {
      fileId: file.fileId,
      predictedMs: file.evidence.predictedMs,
      lastStatus: file.evidence.lastStatus,
      reason: explain ? reason(index) : '',
      priority: file.priority,
      deadlineMs: file.deadlineMs,
      failureProbability: context.probabilities[index]!,
      startMs,
      finishMs: startMs + context.durations[index]!,
    }
  })
  return { policy: settings.policy, workers: context.workers, seed: settings.policy === 'shuffle' ? context.seed : null, order, predictedMakespanMs: makespan, misses }
}

/** Evidence with its failures taken out: what a file would look like had its flaky failures not happened. */
function withoutFailures(evidence: FileEvidence): FileEvidence {
  return { ...plainEvidence(evidence), lastStatus: evidence.ranRuns > 0 ? 'passed' : evidence.lastStatus, lastFailedSeq: 0, failureScore: 0, failedRuns: 0, flips: 0 }
}

/**
 * Moves files with a `flaky` verdict to the end (`last`) or the start (`first`) of each stretch of
 * files of one priority class, keeping every other order. Files with a deadline stay where the policy
 * put them, since moving them could miss it; on several workers so do long files (over 3% of a
 * worker's share of the run, as `auto` counts long), since a long file started last would lengthen
 * the run. `default` leaves the order alone.
 */
function placeFlaky(order: readonly number[], files: readonly PlanFile[], placement: FlakyPlacement, context: PolicyContext): number[] {
  if (placement === 'default' || !order.some((index) => files[index]!.verdict?.kind === 'flaky')) return order.slice()
  let total = 0
  for (const duration of context.durations) total += duration
  const longMs = context.workers > 1 ? (0.03 * total) / context.workers : Infinity
  const movable = (index: number) => files[index]!.verdict?.kind === 'flaky' && files[index]!.deadlineMs === null && context.durations[index]! <= longMs
  const result: number[] = []
  for (let start = 0; start < order.length; ) {
    let end = start
    while (end < order.length && files[order[end]!]!.priority === files[order[start]!]!.priority) end++
    const stretch = order.slice(start, end)
    const flaky = stretch.filter(movable)
    const others = stretch.filter((index) => !movable(index))
    result.push(...(placement === 'last' ? [...others, ...flaky] : [...flaky, ...others]))
    start = end
  }
  return result
}

/** A plan file with only evidence: normal priority, no deadline, no change. */
export function plainPlanFile(fileId: string, evidence: FileEvidence): PlanFile {
  return { fileId, evidence, priority: 'normal', prioritySource: null, deadlineMs: null, deadlineSource: null, change: null }
}

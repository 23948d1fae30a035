import type { FileEvidence } from './file-evidence.js'
import { assumedDurationMs, failureProbability, pessimisticDurationMs, type SuiteModel } from './failure-model.js'
import type { Plan, PlanFile, PlannedFile, PolicyName, PredictedMiss } from './plan-types.js'
import { simulateOrder } from './worker-pool-simulation.js'
import type { WorkerStartup } from '../records.js'
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
    const duration = assumedDurationMs(file.evidence, settings.suite) + perFileMs
    durations[i] = duration
    // Only deadlines read the pessimistic duration; other files keep the assumed one.
    pessimistic[i] = file.deadlineMs === null ? duration : Math.max(duration, pessimisticDurationMs(file.evidence, settings.suite))
    probabilities[i] = failureProbability(file.evidence, file.change, settings.suite, duration)
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
  const { order: indices, reason } = POLICY_FUNCTIONS[settings.policy](files, context)
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

/** A plan file with only evidence: normal priority, no deadline, no change. */
export function plainPlanFile(fileId: string, evidence: FileEvidence): PlanFile {
  return { fileId, evidence, priority: 'normal', prioritySource: null, deadlineMs: null, deadlineSource: null, change: null }
}

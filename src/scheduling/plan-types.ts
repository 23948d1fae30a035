import type { FileEvidence } from './file-evidence.js'

/** Priority classes, most urgent first. */
export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const
export type Priority = (typeof PRIORITIES)[number]

/** Ordering policies; see the README section "Policies" for what each is for. */
export const POLICIES = ['auto', 'edf', 'llf', 'priority', 'wspt', 'lpt', 'shuffle', 'recent', 'default'] as const
export type PolicyName = (typeof POLICIES)[number]

/** How a test file relates to the code changes since the last recorded run (from git). */
export type FileChange = 'changed' | 'related' | null

/** Everything the planner knows about one file before ordering. */
export interface PlanFile {
  fileId: string
  evidence: FileEvidence
  priority: Priority
  /** Where the priority came from (`pragma`, or the config glob), or null for the default `normal`. */
  prioritySource: string | null
  /** Deadline in ms from the run's start, or null. */
  deadlineMs: number | null
  deadlineSource: string | null
  change: FileChange
  /** Which change, for the reason text: `src/cart.ts (same name)`; absent when unchanged. */
  changeReason?: string | null
  /** The worst flaky verdict among the file's tests, after the last analysis; absent without one. */
  verdict?: FileVerdictSummary | null
}

/** What the planner uses of a file's verdicts (see `FileVerdict` in the store). */
export interface FileVerdictSummary {
  kind: 'stable' | 'flaky' | 'failing' | 'recovered' | 'new'
  confidence: number
  /** The file is paid this many times (its flaky tests' expected retries). */
  expectedAttempts: number
}

/** One file in a plan, with the reason it sits where it does. */
export interface PlannedFile {
  fileId: string
  /** Predicted duration in ms; null for files never timed. */
  predictedMs: number | null
  lastStatus: FileEvidence['lastStatus']
  reason: string
  priority?: Priority
  deadlineMs?: number | null
  /** Estimated probability that the file fails this run. */
  failureProbability?: number
  /** Predicted start and finish in ms from the run's start, on the planned worker count. */
  startMs?: number
  finishMs?: number
}

/** A file the simulation predicts will finish after its deadline. */
export interface PredictedMiss {
  fileId: string
  deadlineMs: number
  /** Predicted finish with the file's pessimistic (p90) duration. */
  finishMs: number
}

/** A planned order with what the run simulation predicts for it. */
export interface Plan {
  policy: PolicyName
  workers: number
  /** The seed of `shuffle`, printed so a run can be repeated; null for other policies. */
  seed: number | null
  order: PlannedFile[]
  predictedMakespanMs: number
  misses: PredictedMiss[]
}

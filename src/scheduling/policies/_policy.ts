import { PRIORITIES, type PlanFile } from '../plan-types.js'
import { describeDuration } from '../duration-text.js'
import type { SuiteModel } from '../failure-model.js'
import { breakTies, sortByKeyDescending } from '../key-sort.js'

/** What every policy gets besides the files: derived numbers, computed once per plan. */
export interface PolicyContext {
  workers: number
  seed: number
  suite: SuiteModel
  /** Assumed duration of each file (prediction, or the suite median for files never timed). */
  durations: Float64Array
  /** Pessimistic (p90) duration of each file with a deadline (the assumed duration for the others). */
  pessimistic: Float64Array
  /** Probability that each file fails this run. */
  probabilities: Float64Array
}

/**
 * A policy's decision: the input indices in run order (every index once), and why a file sits
 * where it does. The reason is built only when asked for (`flakeline plan`); a sequencer ordering
 * 50,000 files does not need 50,000 sentences.
 */
export interface PolicyOrder {
  order: number[]
  reason: (index: number) => string
}

/** A policy: files in, order out. Pure. */
export type Policy = (files: readonly PlanFile[], context: PolicyContext) => PolicyOrder

/** Code-unit order, the same on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** 0 for critical up to 3 for low. */
export function priorityRank(file: PlanFile): number {
  return PRIORITIES.indexOf(file.priority)
}

/** A probability for people: `21%`, `1.7%`, `<0.1%`. */
export function percent(p: number): string {
  return p >= 0.1 ? `${Math.round(p * 100)}%` : p >= 0.001 ? `${(p * 100).toFixed(1)}%` : '<0.1%'
}

/** What the record says about a file, in a few words. */
export function evidenceNote(file: PlanFile): string {
  const e = file.evidence
  if (file.change === 'changed') return 'changed since the last run'
  if (e.ranRuns === 0) return e.runs === 0 ? 'never run before' : 'never ran (only skipped)'
  if (e.lastStatus === 'failed') return 'failed in its last run'
  if (file.change === 'related') return `its source changed since the last run${file.changeReason ? ` (${file.changeReason})` : ''}`
  if (e.failedRuns > 0) return `failed ${e.failedRuns} of its last ${e.ranRuns} runs`
  return e.ranRuns === 1 ? 'passed its only run' : `passed its last ${e.ranRuns} runs`
}

/** The fail-fast reason: the evidence, the probability and the duration it is weighed against. */
export function failFastReason(file: PlanFile, index: number, context: PolicyContext): string {
  const d = context.durations[index]!
  const timing = file.evidence.predictedMs === null ? `~${describeDuration(d)} (suite median)` : describeDuration(d)
  return `${evidenceNote(file)}: p(fail) ${percent(context.probabilities[index]!)} over ${timing}`
}

/** `deadline 20.0 s (pragma)`. */
export function deadlineReason(file: PlanFile): string {
  return `deadline ${describeDuration(file.deadlineMs!)}${file.deadlineSource ? ` (${file.deadlineSource})` : ''}`
}

/** `critical (priorities["tests/smoke/**"])`. */
export function priorityReason(file: PlanFile): string {
  return `${file.priority}${file.prioritySource ? ` (${file.prioritySource})` : ''}`
}

/** Indices 0..n-1. */
export function indices(count: number): number[] {
  const order = new Array<number>(count)
  for (let i = 0; i < count; i++) order[i] = i
  return order
}

/** Indices 0..n-1 sorted by `compare`, ties by file id so the order never depends on input order. */
export function sortedIndices(files: readonly PlanFile[], compare: (a: number, b: number) => number): number[] {
  return indices(files.length).sort((a, b) => compare(a, b) || compareIds(files[a]!.fileId, files[b]!.fileId))
}

/** Indices sorted by `key` (>= 0) descending, ties by file id. */
export function byKeyDescending(files: readonly PlanFile[], members: readonly number[], key: Float64Array): number[] {
  return breakTies(sortByKeyDescending(members, key), key, (a, b) => compareIds(files[a]!.fileId, files[b]!.fileId))
}

// Test cases into the typed columns the worker pool takes: one pass over the observations, code
// states and file ids interned to integers, order lists converted once per array (the caller
// usually shares one `before` array between the tests of a file in a run).
import type { FailureGrid } from '../analysis/failure-edges.js'
import type { PackedHistories } from '../analysis/history-signals.js'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { passedOnRetry } from '../evidence/outcomes.js'
import type { TestCase, TestObservation } from './types.js'

/** Newest observations of a test analysed at most. */
export const WINDOW = 256
/** Runs (by seq) back from the newest that the cluster grid covers. */
export const CLUSTER_SPAN = 200

/** One history to measure: observations [start, end) of a case. */
export interface Slice {
  index: number
  start: number
  end: number
}

/** The packed histories with the names behind their ids. */
export interface Packed {
  histories: PackedHistories
  codes: string[]
  files: string[]
}

function inputError(message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.ANALYSIS_INPUT, message)
}

/** Checks the parts of a case the analysis relies on; throws ANALYSIS_INPUT naming the field. */
export function checkCase(test: unknown, i: number): asserts test is TestCase {
  if (typeof test !== 'object' || test === null) throw inputError(`cases[${i}] must be an object { fileId, name, observations }`)
  const t = test as TestCase
  if (typeof t.fileId !== 'string' || typeof t.name !== 'string') throw inputError(`cases[${i}].fileId and .name must be strings`)
  if (!Array.isArray(t.observations)) throw inputError(`cases[${i}].observations must be an array`)
  let previous = -Infinity
  for (let j = 0; j < t.observations.length; j++) {
    const o = t.observations[j] as TestObservation | null
    const at = `cases[${i}].observations[${j}]`
    if (typeof o !== 'object' || o === null) throw inputError(`${at} must be an object`)
    if (o.status !== 'passed' && o.status !== 'failed') throw inputError(`${at}.status must be 'passed' or 'failed' (got ${String(o.status)})`)
    if (typeof o.seq !== 'number' || !Number.isFinite(o.seq) || o.seq < previous) throw inputError(`${at}.seq must be a number, oldest first (got ${String(o.seq)})`)
    if (!Number.isInteger(o.attempts) || o.attempts < 1) throw inputError(`${at}.attempts must be an integer >= 1 (got ${String(o.attempts)})`)
    previous = o.seq
  }
}

/** Whether a slice of observations holds a failure or a retry (else it needs no measuring). */
export function eventful(observations: readonly TestObservation[], start: number, end: number): boolean {
  for (let j = start; j < end; j++) {
    const o = observations[j]!
    if (o.status === 'failed' || o.attempts > 1) return true
  }
  return false
}

function failuresIn(observations: readonly TestObservation[], start: number, end: number): number {
  let count = 0
  for (let j = start; j < end; j++) if (observations[j]!.status === 'failed') count++
  return count
}

/**
 * Packs the slices. Durations that are not finite numbers count as 0 and timeouts as unknown
 * (a damaged record should not stop the analysis); structure was checked by {@link checkCase}.
 */
export function packSlices(cases: readonly TestCase[], slices: readonly Slice[]): Packed {
  let total = 0
  for (const s of slices) total += s.end - s.start
  const offsets = new Int32Array(slices.length + 1)
  const failed = new Uint8Array(total)
  const attempts = new Int32Array(total)
  const durations = new Float64Array(total)
  const timeouts = new Float64Array(total)
  const startedAt = new Float64Array(total)
  const codes = new Int32Array(total)
  const changed = new Uint8Array(total)
  const messages = new Array<string | null>(total)
  const beforeOffsets = new Int32Array(total + 1)
  const codeIds = new Map<string, number>()
  const fileIds = new Map<string, number>()
  const converted = new WeakMap<readonly string[], Int32Array>()
  const beforeParts: Int32Array[] = []
  let beforeTotal = 0
  let at = 0
  slices.forEach((s, k) => {
    offsets[k] = at
    const observations = cases[s.index]!.observations
    // Order dependence needs two failures; other histories skip the order lists.
    const withOrder = failuresIn(observations, s.start, s.end) >= 2
    for (let j = s.start; j < s.end; j++, at++) {
      const o = observations[j]!
      failed[at] = o.status === 'failed' ? 1 : 0
      attempts[at] = o.attempts
      durations[at] = Number.isFinite(o.durationMs) ? o.durationMs : 0
      timeouts[at] = typeof o.timeoutMs === 'number' && o.timeoutMs > 0 ? o.timeoutMs : NaN
      startedAt[at] = Number.isFinite(o.startedAt) ? o.startedAt : NaN
      changed[at] = o.changed ? 1 : 0
      messages[at] = (o.status === 'failed' || passedOnRetry(o)) && typeof o.message === 'string' ? o.message : null
      if (typeof o.codeState === 'string' && o.codeState.length > 0) {
        let id = codeIds.get(o.codeState)
        if (id === undefined) codeIds.set(o.codeState, (id = codeIds.size))
        codes[at] = id
      } else codes[at] = -1
      beforeOffsets[at] = beforeTotal
      if (withOrder && Array.isArray(o.before) && o.before.length > 0) {
        let ids = converted.get(o.before)
        if (!ids) {
          ids = Int32Array.from(o.before, (file) => {
            let id = fileIds.get(file)
            if (id === undefined) fileIds.set(file, (id = fileIds.size))
            return id
          })
          converted.set(o.before, ids)
        }
        beforeParts.push(ids)
        beforeTotal += ids.length
      }
    }
  })
  offsets[slices.length] = at
  beforeOffsets[total] = beforeTotal
  const before = new Int32Array(beforeTotal)
  let b = 0
  for (const part of beforeParts) {
    before.set(part, b)
    b += part.length
  }
  return {
    histories: { offsets, failed, attempts, durations, timeouts, startedAt, codes, changed, messages, beforeOffsets, before, fileCount: fileIds.size },
    codes: [...codeIds.keys()],
    files: [...fileIds.keys()],
  }
}

/**
 * The failure grid of the slices with at least two failures in the newest {@link CLUSTER_SPAN}
 * runs: grid positions are those runs' seqs in order (`seqs`). Returns the grid, which slice
 * each of its tests is, and the seqs.
 */
export function failureGrid(cases: readonly TestCase[], slices: readonly Slice[]): { grid: FailureGrid; members: number[]; seqs: number[] } {
  let newest = -Infinity
  for (const s of slices) if (s.end > s.start) newest = Math.max(newest, cases[s.index]!.observations[s.end - 1]!.seq)
  const oldest = newest - CLUSTER_SPAN
  const members: number[] = []
  const failing: number[][] = []
  const seqs = new Set<number>()
  slices.forEach((s, k) => {
    const observations = cases[s.index]!.observations
    const failedAt: number[] = []
    for (let j = s.start; j < s.end; j++) {
      const o = observations[j]!
      if (o.seq > oldest && o.status === 'failed') failedAt.push(o.seq)
    }
    if (failedAt.length < 2) return
    members.push(k)
    failing.push(failedAt)
    for (const seq of failedAt) seqs.add(seq)
  })
  // Runs where a member passed matter too: they separate the members' failures on the grid.
  for (const k of members) {
    const s = slices[k]!
    const observations = cases[s.index]!.observations
    for (let j = s.start; j < s.end; j++) if (observations[j]!.seq > oldest) seqs.add(observations[j]!.seq)
  }
  const order = [...seqs].sort((a, b) => a - b)
  const position = new Map(order.map((seq, i) => [seq, i]))
  const offsets = new Int32Array(members.length + 1)
  let total = 0
  failing.forEach((f, t) => {
    offsets[t] = total
    total += f.length
  })
  offsets[members.length] = total
  const positions = new Int32Array(total)
  let at = 0
  for (const f of failing) for (const seq of f) positions[at++] = position.get(seq)!
  return { grid: { offsets, positions, length: order.length }, members, seqs: order }
}

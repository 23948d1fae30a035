// Test cases into the typed columns the worker pool takes: one pass over the observations, code
// states and file ids interned to integers, order lists cut down to the files that could
// explain a test's failures.
import type { FailureGrid } from '../analysis/failure-edges.js'
import { MESSAGES, ORDER_MIN_FAILURES, type PackedHistories } from '../analysis/history-signals.js'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { passedOnRetry } from '../evidence/outcomes.js'
import type { TestCase, TestObservation } from './types.js'

/** Newest observations of a test analysed at most. */
export const WINDOW = 256
/** Newest observations of a history whose order lists are packed (older ones count as unknown order). */
export const ORDER_WINDOW = 60
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

/**
 * Checks the parts of a case the analysis reads (the newest {@link WINDOW} observations) and
 * says whether they hold a failure or a retry (histories that only passed need no measuring).
 * Throws ANALYSIS_INPUT naming the field.
 */
export function scanCase(test: unknown, i: number): { start: number; eventful: boolean } {
  if (typeof test !== 'object' || test === null) throw inputError(`cases[${i}] must be an object { fileId, name, observations }`)
  const t = test as TestCase
  if (typeof t.fileId !== 'string' || typeof t.name !== 'string') throw inputError(`cases[${i}].fileId and .name must be strings`)
  if (!Array.isArray(t.observations)) throw inputError(`cases[${i}].observations must be an array`)
  const n = t.observations.length
  const start = Math.max(0, n - WINDOW)
  let previous = -Infinity
  let eventful = false
  for (let j = start; j < n; j++) {
    const o = t.observations[j] as TestObservation | null
    if (typeof o !== 'object' || o === null) throw inputError(`cases[${i}].observations[${j}] must be an object`)
    const { status, attempts, seq } = o
    if (status === 'failed') eventful = true
    else if (status !== 'passed') throw inputError(`cases[${i}].observations[${j}].status must be 'passed' or 'failed' (got ${String(status)})`)
    if (!(seq >= previous)) throw inputError(`cases[${i}].observations[${j}].seq must be a number, oldest first (got ${String(seq)})`)
    if (!Number.isInteger(attempts) || attempts < 1) throw inputError(`cases[${i}].observations[${j}].attempts must be an integer >= 1 (got ${String(attempts)})`)
    if (attempts > 1) eventful = true
    previous = seq
  }
  return { start, eventful }
}

/**
 * The files that ran before the test in every failing run of known order among observations
 * [start, end), in the order of the newest failing run's list; null with fewer than
 * ORDER_MIN_FAILURES such failures. Only these can explain its failures, so only these are packed for the pool.
 */
function orderCandidates(observations: readonly TestObservation[], start: number, end: number): { candidates: string[]; considered: number } | null {
  let candidates: string[] | null = null
  let considered = 0
  let failures = 0
  for (let j = end - 1; j >= start; j--) {
    const o = observations[j]!
    if (o.status !== 'failed' || !Array.isArray(o.before) || o.before.length === 0) continue
    failures++
    if (candidates === null) {
      candidates = o.before.slice()
      considered = candidates.length
    } else candidates = candidates.filter((file) => o.before.includes(file))
    if (candidates.length === 0) return null
  }
  return failures >= ORDER_MIN_FAILURES && candidates ? { candidates, considered } : null
}

/**
 * Packs the slices. Durations that are not finite numbers count as 0 and timeouts as unknown
 * (a damaged record should not stop the analysis); structure was checked by {@link scanCase}.
 * An empty `before` list means the run's order is unknown.
 */
export function packSlices(cases: readonly TestCase[], slices: readonly Slice[]): Packed {
  let total = 0
  for (const s of slices) total += s.end - s.start
  // On shared memory: the pool's workers read these columns without a copy.
  const offsets = new Int32Array(new SharedArrayBuffer(4 * (slices.length + 1)))
  const failed = new Uint8Array(new SharedArrayBuffer(total))
  const attempts = new Int32Array(new SharedArrayBuffer(4 * total))
  const durations = new Float64Array(new SharedArrayBuffer(8 * total))
  const timeouts = new Float64Array(new SharedArrayBuffer(8 * total))
  const startedAt = new Float64Array(new SharedArrayBuffer(8 * total))
  const codes = new Int32Array(new SharedArrayBuffer(4 * total))
  const changed = new Uint8Array(new SharedArrayBuffer(total))
  const orderKnown = new Uint8Array(new SharedArrayBuffer(total))
  const messageOffsets = new Int32Array(new SharedArrayBuffer(4 * (slices.length + 1)))
  const messages: string[] = []
  const beforeOffsets = new Int32Array(new SharedArrayBuffer(4 * (total + 1)))
  const orderFiles = new Int32Array(new SharedArrayBuffer(4 * slices.length))
  const before: number[] = []
  const codeIds = new Map<string, number>()
  const fileIds = new Map<string, number>()
  let seqBase = Infinity
  for (const s of slices) if (s.end > s.start) seqBase = Math.min(seqBase, cases[s.index]!.observations[s.start]!.seq)
  const seqCodes = new Int32Array(Number.isInteger(seqBase) ? 4 * WINDOW : 0)
  const seqStrings = new Array<string | undefined>(seqCodes.length).fill(undefined)
  let at = 0
  for (let k = 0; k < slices.length; k++) {
    const s = slices[k]!
    offsets[k] = at
    const observations = cases[s.index]!.observations
    const orderFrom = Math.max(s.start, s.end - ORDER_WINDOW)
    messageOffsets[k] = messages.length
    for (let j = s.end - 1; j >= s.start && messages.length - messageOffsets[k]! < MESSAGES; j--) {
      const o = observations[j]!
      if ((o.status === 'failed' || passedOnRetry(o)) && typeof o.message === 'string' && o.message.length > 0) messages.push(o.message)
    }
    const order = orderCandidates(observations, orderFrom, s.end)
    const candidates = order?.candidates
    orderFiles[k] = order?.considered ?? 0
    const candidateIds = candidates?.map((file) => {
      let id = fileIds.get(file)
      if (id === undefined) fileIds.set(file, (id = fileIds.size))
      return id
    })
    for (let j = s.start; j < s.end; j++, at++) {
      const o = observations[j]!
      failed[at] = o.status === 'failed' ? 1 : 0
      attempts[at] = o.attempts
      durations[at] = Number.isFinite(o.durationMs) ? o.durationMs : 0
      timeouts[at] = typeof o.timeoutMs === 'number' && o.timeoutMs > 0 ? o.timeoutMs : NaN
      startedAt[at] = Number.isFinite(o.startedAt) ? o.startedAt : NaN
      changed[at] = o.changed ? 1 : 0
      const code = o.codeState
      if (typeof code === 'string' && code.length > 0) {
        // Every test of a run has the run's code state: remember it by seq, skip the map.
        const slot = o.seq - seqBase
        if (slot >= 0 && slot < seqCodes.length && seqStrings[slot] === code) codes[at] = seqCodes[slot]!
        else {
          let id = codeIds.get(code)
          if (id === undefined) codeIds.set(code, (id = codeIds.size))
          codes[at] = id
          if (slot >= 0 && slot < seqCodes.length) {
            seqCodes[slot] = id
            seqStrings[slot] = code
          }
        }
      } else codes[at] = -1
      beforeOffsets[at] = before.length
      if (candidates && j >= orderFrom && Array.isArray(o.before) && o.before.length > 0) {
        orderKnown[at] = 1
        for (let c = 0; c < candidates.length; c++) if (o.before.includes(candidates[c]!)) before.push(candidateIds![c]!)
      }
    }
  }
  offsets[slices.length] = at
  messageOffsets[slices.length] = messages.length
  beforeOffsets[total] = before.length
  return {
    histories: { offsets, failed, attempts, durations, timeouts, startedAt, codes, changed, orderKnown, messageOffsets, messages, beforeOffsets, before: Int32Array.from(before), fileCount: fileIds.size, orderFiles },
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

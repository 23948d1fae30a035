// Test cases into the typed columns the worker pool takes, in one pass: each case's window is
// checked and, when it holds a failure or a retry, packed while its observations are still in
// the cache. Code states and files become integers; order lists shrink to the files that could
// explain the test's failures. The columns end on shared memory, which the workers read in place.
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

function inputError(message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.ANALYSIS_INPUT, message)
}

/** A packed window: the case, where its window starts in the case, where it lies in the columns. */
export interface PackedCase {
  index: number
  /** Index in `observations` of the window's first run. */
  first: number
  /** The window's observations are [from, to) of the columns. */
  from: number
  to: number
  /** Files its order test considered (0: no order test), for the multiple-comparison correction. */
  orderFiles: number
}

/** The packed histories with the names behind their ids. */
export interface Packed {
  histories: PackedHistories
  codes: string[]
  files: string[]
}

type Column = Uint8Array | Int32Array | Float64Array

/** A column of `length` values on shared memory. Pages never written are never committed. */
function column<T extends Column>(Kind: new (buffer: SharedArrayBuffer) => T, bytes: number, length: number): T {
  return new Kind(new SharedArrayBuffer(Math.max(1, length) * bytes))
}

function sharedCopy(values: readonly number[]): Int32Array {
  const copy = new Int32Array(new SharedArrayBuffer(Math.max(1, values.length) * 4), 0, values.length)
  copy.set(values)
  return copy
}

/**
 * Builds packed histories case by case. {@link addCase} checks a case and packs its window if
 * it needs measuring; {@link addHistory} declares a history over packed observations (the whole
 * window, or a prefix of it for a learning example); {@link finish} hands the columns over.
 * The columns are allocated once for `capacity` observations (the cases' windows together), on
 * shared memory, so nothing is copied on the way to the workers.
 */
export class HistoryPacker {
  private at = 0
  private readonly failed: Uint8Array
  private readonly attempts: Int32Array
  private readonly durations: Float64Array
  private readonly timeouts: Float64Array
  private readonly startedAt: Float64Array
  private readonly codes: Int32Array
  private readonly changed: Uint8Array
  private readonly orderKnown: Uint8Array
  private readonly beforeOffsets: Int32Array
  /** Each packed observation's seq (for the cluster grid; not sent to the pool). */
  private readonly seqs: Float64Array
  private readonly before: number[] = []
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  private readonly messageOffsets: number[] = [0]
  private readonly messages: string[] = []
  private readonly orderFiles: number[] = []
  private readonly codeIds = new Map<string, number>()
  private readonly fileIds = new Map<string, number>()
  // Every test of a run has the run's code state: remembered by seq, it skips the map.
  private readonly codeBySeq = new Map<number, { code: string; id: number }>()
  /** Newest seq of every case seen, packed or not. */
  newest = -Infinity

  /** Room for `capacity` observations: at least the windows of the cases to be added. */
  constructor(private readonly capacity: number) {
    this.failed = column(Uint8Array, 1, capacity)
    this.attempts = column(Int32Array, 4, capacity)
    this.durations = column(Float64Array, 8, capacity)
    this.timeouts = column(Float64Array, 8, capacity)
    this.startedAt = column(Float64Array, 8, capacity)
    this.codes = column(Int32Array, 4, capacity)
    this.changed = column(Uint8Array, 1, capacity)
    this.orderKnown = column(Uint8Array, 1, capacity)
    this.beforeOffsets = column(Int32Array, 4, capacity + 1)
    this.seqs = new Float64Array(capacity)
  }

  /** The room the windows of `cases` need. */
  static capacityFor(cases: readonly TestCase[]): number {
    let total = 0
    for (const test of cases) total += Array.isArray(test?.observations) ? Math.min(WINDOW, test.observations.length) : 0
    return total
  }

  private codeId(code: string, seq: number): number {
    const known = this.codeBySeq.get(seq)
    if (known !== undefined && known.code === code) return known.id
    let id = this.codeIds.get(code)
    if (id === undefined) this.codeIds.set(code, (id = this.codeIds.size))
    this.codeBySeq.set(seq, { code, id })
    return id
  }

  private fileId(file: string): number {
    let id = this.fileIds.get(file)
    if (id === undefined) this.fileIds.set(file, (id = this.fileIds.size))
    return id
  }

  /**
   * Checks case `index` (the parts the analysis reads: its newest {@link WINDOW} observations)
   * and packs that window when it holds a failure or a retry; returns where, or null when the
   * test only passed (it needs no measuring). Throws ANALYSIS_INPUT naming the bad field.
   */
  addCase(test: unknown, index: number, always = false): PackedCase | null {
    if (typeof test !== 'object' || test === null) throw inputError(`cases[${index}] must be an object { fileId, name, observations }`)
    const t = test as TestCase
    if (typeof t.fileId !== 'string' || typeof t.name !== 'string') throw inputError(`cases[${index}].fileId and .name must be strings`)
    const observations = t.observations
    if (!Array.isArray(observations)) throw inputError(`cases[${index}].observations must be an array`)
    const n = observations.length
    if (n === 0) return null
    const first = Math.max(0, n - WINDOW)
    if (this.at + n - first > this.capacity) throw inputError(`cases[${index}] does not fit the packer's capacity (${this.capacity} observations)`)
    const from = this.at
    let previous = -Infinity
    let eventful = false
    let failures = 0
    for (let j = first; j < n; j++) {
      const o = observations[j] as TestObservation | null
      if (typeof o !== 'object' || o === null) throw inputError(`cases[${index}].observations[${j}] must be an object`)
      const { status, attempts, seq } = o
      let failed = 0
      if (status === 'failed') {
        failed = 1
        failures++
      } else if (status !== 'passed') throw inputError(`cases[${index}].observations[${j}].status must be 'passed' or 'failed' (got ${String(status)})`)
      if (!(seq >= previous)) throw inputError(`cases[${index}].observations[${j}].seq must be a number, oldest first (got ${String(seq)})`)
      if (!Number.isInteger(attempts) || attempts < 1) throw inputError(`cases[${index}].observations[${j}].attempts must be an integer >= 1 (got ${String(attempts)})`)
      if (failed || attempts > 1) eventful = true
      previous = seq
      const at = this.at++
      this.failed[at] = failed
      this.attempts[at] = attempts
      this.seqs[at] = seq
      // A damaged number should not stop the analysis: a duration counts as 0, a timeout as unknown.
      const duration = o.durationMs
      this.durations[at] = Number.isFinite(duration) ? duration : 0
      const timeout = o.timeoutMs
      this.timeouts[at] = typeof timeout === 'number' && timeout > 0 ? timeout : NaN
      const started = o.startedAt
      this.startedAt[at] = Number.isFinite(started) ? started : NaN
      this.changed[at] = o.changed ? 1 : 0
      const code = o.codeState
      this.codes[at] = typeof code === 'string' && code.length > 0 ? this.codeId(code, seq) : -1
    }
    this.newest = Math.max(this.newest, previous)
    if (!eventful && !always) {
      this.at = from
      return null
    }
    const orderFiles = this.packOrder(observations, first, from, failures)
    return { index, first, from, to: this.at, orderFiles }
  }

  /**
   * The order lists of the newest {@link ORDER_WINDOW} runs, cut to the files that ran before
   * the test in every failing run of known order (only those can explain its failures). An
   * empty `before` list means the run's order is unknown. Returns the files considered.
   */
  private packOrder(observations: readonly TestObservation[], first: number, from: number, failures: number): number {
    const n = observations.length
    const orderFrom = Math.max(first, n - ORDER_WINDOW)
    for (let j = first; j < n; j++) this.beforeOffsets[from + j - first] = this.before.length
    let candidates: string[] | null = null
    let considered = 0
    let known = 0
    if (failures >= ORDER_MIN_FAILURES) {
      for (let j = n - 1; j >= orderFrom; j--) {
        const o = observations[j]!
        if (o.status !== 'failed' || !Array.isArray(o.before) || o.before.length === 0) continue
        known++
        if (candidates === null) {
          candidates = o.before.slice()
          considered = candidates.length
        } else candidates = candidates.filter((file) => o.before.includes(file))
        if (candidates.length === 0) break
      }
    }
    // Observations after the case start where its lists end.
    this.beforeOffsets[this.at] = this.before.length
    if (candidates === null || candidates.length === 0 || known < ORDER_MIN_FAILURES) return 0
    const ids = candidates.map((file) => this.fileId(file))
    for (let j = orderFrom; j < n; j++) {
      const o = observations[j]!
      const at = from + j - first
      this.beforeOffsets[at] = this.before.length
      if (!Array.isArray(o.before) || o.before.length === 0) continue
      this.orderKnown[at] = 1
      for (let c = 0; c < candidates.length; c++) if (o.before.includes(candidates[c]!)) this.before.push(ids[c]!)
    }
    this.beforeOffsets[this.at] = this.before.length
    return considered
  }

  /**
   * Declares a history over packed observations: case `packed`'s window up to (not including)
   * observation `end` of the case. Its newest failure messages are taken from the case; a
   * prefix keeps the window's order lists (cut to the candidates of the whole window).
   * Returns the history's index.
   */
  addHistory(test: TestCase, packed: PackedCase, end: number): number {
    this.starts.push(packed.from)
    this.ends.push(packed.from + end - packed.first)
    const taken = this.messages.length
    for (let j = end - 1; j >= packed.first && this.messages.length - taken < MESSAGES; j--) {
      const o = test.observations[j]!
      if ((o.status === 'failed' || passedOnRetry(o)) && typeof o.message === 'string' && o.message.length > 0) this.messages.push(o.message)
    }
    this.messageOffsets.push(this.messages.length)
    this.orderFiles.push(packed.orderFiles)
    return this.starts.length - 1
  }

  /** The packed columns on shared memory, and the names behind the ids. */
  finish(): Packed {
    const total = this.at
    this.beforeOffsets[total] = this.before.length
    return {
      histories: {
        starts: sharedCopy(this.starts),
        ends: sharedCopy(this.ends),
        failed: this.failed.subarray(0, total),
        attempts: this.attempts.subarray(0, total),
        durations: this.durations.subarray(0, total),
        timeouts: this.timeouts.subarray(0, total),
        startedAt: this.startedAt.subarray(0, total),
        codes: this.codes.subarray(0, total),
        changed: this.changed.subarray(0, total),
        orderKnown: this.orderKnown.subarray(0, total),
        messageOffsets: sharedCopy(this.messageOffsets),
        messages: this.messages,
        beforeOffsets: this.beforeOffsets.subarray(0, total + 1),
        before: sharedCopy(this.before),
        fileCount: this.fileIds.size,
        orderFiles: sharedCopy(this.orderFiles),
      },
      codes: [...this.codeIds.keys()],
      files: [...this.fileIds.keys()],
    }
  }

  /**
   * The failure grid of histories [0, count) with at least two failures in the newest
   * {@link CLUSTER_SPAN} runs: grid positions are the seqs those tests ran in, in order (`seqs`).
   * Returns the grid, which history each of its tests is, and the seqs. Reads the packed
   * columns only.
   */
  failureGrid(count: number): { grid: FailureGrid; members: number[]; seqs: number[] } {
    const oldest = this.newest - CLUSTER_SPAN
    const members: number[] = []
    const failing: number[][] = []
    for (let k = 0; k < count; k++) {
      const failedAt: number[] = []
      for (let i = this.starts[k]!; i < this.ends[k]!; i++) if (this.failed[i] && this.seqs[i]! > oldest) failedAt.push(this.seqs[i]!)
      if (failedAt.length < 2) continue
      members.push(k)
      failing.push(failedAt)
    }
    // Runs where a member passed matter too: they separate the members' failures on the grid.
    const seen = new Set<number>()
    for (const k of members) for (let i = this.starts[k]!; i < this.ends[k]!; i++) if (this.seqs[i]! > oldest) seen.add(this.seqs[i]!)
    const order = [...seen].sort((a, b) => a - b)
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
}

/** Packs whole cases (their newest {@link WINDOW} runs), each as one history, eventful or not; empty cases are skipped. */
export function packCases(cases: readonly TestCase[]): Packed {
  const packer = new HistoryPacker(HistoryPacker.capacityFor(cases))
  cases.forEach((test, index) => {
    const packed = packer.addCase(test, index, true)
    if (packed) packer.addHistory(test, packed, test.observations.length)
  })
  return packer.finish()
}

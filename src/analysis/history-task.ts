// The message format between AnalysisPool.measureHistories and its workers: a range of packed
// histories whose columns live on shared memory (no copy per chunk), or the failure grid for
// the cluster edges; answers as packed f64.
import type { FailureEdge, FailureGrid } from './failure-edges.js'
import { MEASURE_KEYS, _emptyMeasures, type HistoryMeasures, type PackedHistories } from './history-signals.js'

/** One range of histories for a worker. @internal */
export interface HistoryChunkTask {
  wasmPath: string | undefined
  /** The range [from, to) of histories to measure. */
  from: number
  to: number
  /** Columns on shared memory (every chunk reads the same buffers); `messages` holds this range's only. */
  histories: PackedHistories
  /** Index in the whole `messages` of this range's first message. */
  messageBase: number
  cancel: Int32Array
}

/** The cluster-edge task. @internal */
export interface EdgeTask {
  wasmPath: string | undefined
  grid: FailureGrid
  cancel: Int32Array
}

/** f64 slots per history in a chunk's answer. @internal */
export const MEASURE_FIELDS = MEASURE_KEYS.length

type Column = Uint8Array | Int32Array | Float64Array

function onShared<T extends Column>(column: T): T {
  if (column.buffer instanceof SharedArrayBuffer) return column
  const Kind = column.constructor as new (buffer: SharedArrayBuffer) => T
  const copy = new Kind(new SharedArrayBuffer(column.byteLength))
  copy.set(column as never)
  return copy
}

/**
 * The histories with every column on shared memory (copied once if it is not already), so the
 * chunks of a batch share them instead of each getting a copy. @internal
 */
export function sharedHistories(h: PackedHistories): PackedHistories {
  return {
    starts: onShared(h.starts),
    ends: onShared(h.ends),
    failed: onShared(h.failed),
    attempts: onShared(h.attempts),
    durations: onShared(h.durations),
    timeouts: onShared(h.timeouts),
    startedAt: onShared(h.startedAt),
    codes: onShared(h.codes),
    changed: onShared(h.changed),
    orderKnown: onShared(h.orderKnown),
    messageOffsets: onShared(h.messageOffsets),
    messages: h.messages,
    beforeOffsets: onShared(h.beforeOffsets),
    before: onShared(h.before),
    fileCount: h.fileCount,
    orderFiles: onShared(h.orderFiles),
  }
}

/** Histories [from, to) of shared histories `h` as a task (nothing to transfer). @internal */
export function historyChunk(h: PackedHistories, from: number, to: number, wasmPath: string | undefined, cancel: Int32Array): { task: HistoryChunkTask; transfer: ArrayBuffer[] } {
  const messageBase = h.messageOffsets[from]!
  const histories = { ...h, messages: h.messages.slice(messageBase, h.messageOffsets[to]!) }
  return { task: { wasmPath, from, to, histories, messageBase, cancel }, transfer: [] }
}

/** Writes one history's measures at slot `k`. @internal */
export function encodeMeasures(m: HistoryMeasures, out: Float64Array, k: number): void {
  const at = k * MEASURE_FIELDS
  for (let f = 0; f < MEASURE_FIELDS; f++) out[at + f] = m[MEASURE_KEYS[f]!]
}

/** Reads slot `k` back. @internal */
export function decodeMeasures(values: Float64Array, k: number): HistoryMeasures {
  const at = k * MEASURE_FIELDS
  // Filled into the one literal shape, so the objects stay fast.
  const m = _emptyMeasures(0) as unknown as Record<string, number>
  for (let f = 0; f < MEASURE_FIELDS; f++) m[MEASURE_KEYS[f]!] = values[at + f]!
  return m as unknown as HistoryMeasures
}

/** Edges as [a, b, similarity, together] quadruples. @internal */
export function encodeEdges(edges: readonly FailureEdge[]): Float64Array {
  const out = new Float64Array(edges.length * 4)
  edges.forEach((e, i) => out.set([e.a, e.b, e.similarity, e.together], i * 4))
  return out
}

/** @internal */
export function decodeEdges(values: Float64Array): FailureEdge[] {
  const edges: FailureEdge[] = []
  for (let i = 0; i + 4 <= values.length; i += 4) edges.push({ a: values[i]!, b: values[i + 1]!, similarity: values[i + 2]!, together: values[i + 3]! })
  return edges
}

// The message format between AnalysisPool.measureHistories and its workers: a contiguous range
// of packed histories (columns sliced, offsets rebased; transferred, not cloned), or the failure
// grid for the cluster edges; answers as packed f64.
import type { FailureEdge, FailureGrid } from './failure-edges.js'
import { MEASURE_KEYS, type HistoryMeasures, type PackedHistories } from './history-signals.js'

/** One range of histories for a worker. @internal */
export interface HistoryChunkTask {
  wasmPath: string | undefined
  /** Index in the batch of the chunk's first history, for error messages. */
  first: number
  histories: PackedHistories
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

/** Histories [from, to) of `h` as a task of their own, with the buffers to transfer. @internal */
export function packHistoryChunk(h: PackedHistories, from: number, to: number, wasmPath: string | undefined, cancel: Int32Array): { task: HistoryChunkTask; transfer: ArrayBuffer[] } {
  const start = h.offsets[from]!
  const end = h.offsets[to]!
  const offsets = new Int32Array(to - from + 1)
  for (let k = 0; k <= to - from; k++) offsets[k] = h.offsets[from + k]! - start
  const beforeStart = h.beforeOffsets[start]!
  const beforeOffsets = new Int32Array(end - start + 1)
  for (let i = 0; i <= end - start; i++) beforeOffsets[i] = h.beforeOffsets[start + i]! - beforeStart
  const histories: PackedHistories = {
    offsets,
    failed: h.failed.slice(start, end),
    attempts: h.attempts.slice(start, end),
    durations: h.durations.slice(start, end),
    timeouts: h.timeouts.slice(start, end),
    startedAt: h.startedAt.slice(start, end),
    codes: h.codes.slice(start, end),
    changed: h.changed.slice(start, end),
    messages: h.messages.slice(start, end),
    beforeOffsets,
    before: h.before.slice(beforeStart, h.beforeOffsets[end]!),
    fileCount: h.fileCount,
  }
  const transfer = [offsets, histories.failed, histories.attempts, histories.durations, histories.timeouts, histories.startedAt, histories.codes, histories.changed, beforeOffsets, histories.before].map((a) => a.buffer as ArrayBuffer)
  return { task: { wasmPath, first: from, histories, cancel }, transfer }
}

/** Writes one history's measures at slot `k`. @internal */
export function encodeMeasures(m: HistoryMeasures, out: Float64Array, k: number): void {
  const at = k * MEASURE_FIELDS
  for (let f = 0; f < MEASURE_FIELDS; f++) out[at + f] = m[MEASURE_KEYS[f]!]
}

/** Reads slot `k` back. @internal */
export function decodeMeasures(values: Float64Array, k: number): HistoryMeasures {
  const at = k * MEASURE_FIELDS
  const m = {} as Record<string, number>
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

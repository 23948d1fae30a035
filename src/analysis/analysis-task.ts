// The message format between AnalysisPool and its workers: a chunk of the batch packed into a
// few typed arrays (transferred, not cloned), and results as FIELDS f64 per series.
import type { AttractorKind } from './attractor.js'
import type { AnalyseOptions, SeriesAnalysis, SeriesInput } from './analyse-series.js'
import type { LyapunovOptions } from './lyapunov.js'

/** One unit of work for a worker. @internal */
export interface ChunkTask {
  /** kernels.wasm to use in the worker; undefined means the built-in location. */
  wasmPath: string | undefined
  /** Index in the batch of the chunk's first series, for error messages. */
  first: number
  durations: Float64Array
  /** Series k's durations are durations[offsets[k]..offsets[k+1]). */
  offsets: Int32Array
  outcomes: Float64Array
  outcomeOffsets: Int32Array
  /** 1 where series k has outcomes at all (an empty array and a missing one differ). */
  hasOutcomes: Uint8Array
  reference: Float64Array
  band: number | undefined
  referenceOutcomes: Float64Array | undefined
  lyapunov: LyapunovOptions | undefined
  /** Shared with the pool: non-zero once the batch has failed or the pool closes; stop early. */
  cancel: Int32Array
}

/**
 * A worker's answer: packed results (FIELDS per series), a FlakelineError's code and message,
 * or word that it stopped because the batch was cancelled. @internal
 */
export type ChunkResult = Float64Array | { error: { code: string; message: string } } | { cancelled: true }

/** f64 slots per series in ChunkResult.values. @internal */
export const FIELDS = 9

const KINDS: readonly AttractorKind[] = ['fixed-point', 'limit-cycle', 'chaotic', 'stochastic']

/** Packs batch[from..to) into a task and lists the buffers to transfer. @internal */
export function packChunk(batch: readonly SeriesInput[], from: number, to: number, options: AnalyseOptions, wasmPath: string | undefined, cancel: Int32Array): { task: ChunkTask; transfer: ArrayBuffer[] } {
  const count = to - from
  const offsets = new Int32Array(count + 1)
  const outcomeOffsets = new Int32Array(count + 1)
  const hasOutcomes = new Uint8Array(count)
  let total = 0
  let totalOutcomes = 0
  for (let k = 0; k < count; k++) {
    const item = batch[from + k]!
    offsets[k] = total
    outcomeOffsets[k] = totalOutcomes
    total += item.durations.length
    if (item.outcomes !== undefined) {
      hasOutcomes[k] = 1
      totalOutcomes += item.outcomes.length
    }
  }
  offsets[count] = total
  outcomeOffsets[count] = totalOutcomes
  const durations = new Float64Array(total)
  const outcomes = new Float64Array(totalOutcomes)
  for (let k = 0; k < count; k++) {
    const item = batch[from + k]!
    durations.set(item.durations, offsets[k])
    if (item.outcomes !== undefined) outcomes.set(item.outcomes, outcomeOffsets[k])
  }
  const task: ChunkTask = {
    wasmPath,
    first: from,
    durations,
    offsets,
    outcomes,
    outcomeOffsets,
    hasOutcomes,
    reference: Float64Array.from(options.reference),
    band: options.band,
    referenceOutcomes: options.referenceOutcomes === undefined ? undefined : Float64Array.from(options.referenceOutcomes),
    lyapunov: options.lyapunov,
    cancel,
  }
  return { task, transfer: [durations.buffer, offsets.buffer, outcomes.buffer, outcomeOffsets.buffer, hasOutcomes.buffer] }
}

/** Writes one series' analysis at slot `k`; null becomes NaN, the kind its index. @internal */
export function encodeAnalysis(a: Omit<SeriesAnalysis, 'id'>, out: Float64Array, k: number): void {
  const at = k * FIELDS
  out[at] = a.distance
  out[at + 1] = a.period ?? NaN
  out[at + 2] = a.periodStrength
  out[at + 3] = a.exponent
  out[at + 4] = KINDS.indexOf(a.attractor)
  out[at + 5] = a.determinism
  out[at + 6] = a.variance
  out[at + 7] = a.flipRate ?? NaN
  out[at + 8] = a.outcomeDistance ?? NaN
}

/** Reads slot `k` back into a SeriesAnalysis. @internal */
export function decodeAnalysis(id: string, values: Float64Array, k: number): SeriesAnalysis {
  const at = k * FIELDS
  const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v)
  return {
    id,
    distance: values[at]!,
    period: orNull(values[at + 1]!),
    periodStrength: values[at + 2]!,
    exponent: values[at + 3]!,
    attractor: KINDS[values[at + 4]!] ?? 'stochastic',
    determinism: values[at + 5]!,
    variance: values[at + 6]!,
    flipRate: orNull(values[at + 7]!),
    outcomeDistance: orNull(values[at + 8]!),
  }
}

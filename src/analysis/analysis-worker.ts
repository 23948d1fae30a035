// Piscina worker: analyses one packed chunk with the WebAssembly kernels, which it loads once
// per thread (per wasm path) and reuses for every task. Known failures come back as data so
// their stable code survives the thread boundary (structured clone drops an Error's `code`).
// The default export serves AnalysisPool.analyse; the named ones serve measureHistories.
import { move } from 'piscina'
import { _checkAnalyseOptions, _measureSeries } from './analyse-series.js'
import { FIELDS, encodeAnalysis, type ChunkResult, type ChunkTask } from './analysis-task.js'
import { FlakelineError } from './errors.js'
import { _failureEdges } from './failure-edges.js'
import { HistoryScratch, _measureHistory } from './history-signals.js'
import { MEASURE_FIELDS, encodeEdges, encodeMeasures, type EdgeTask, type HistoryChunkTask } from './history-task.js'
import { activateKernels } from './kernels.js'

/** Analyses every series of the chunk; the result buffer is transferred back. */
export default function analyseChunk(task: ChunkTask): ChunkResult {
  try {
    const kernels = activateKernels(task.wasmPath)
    const options = {
      reference: task.reference,
      band: task.band,
      referenceOutcomes: task.referenceOutcomes,
      lyapunov: task.lyapunov,
    }
    _checkAnalyseOptions(options)
    const count = task.offsets.length - 1
    const values = new Float64Array(count * FIELDS)
    for (let k = 0; k < count; k++) {
      if (Atomics.load(task.cancel, 0) !== 0) return { cancelled: true }
      const durations = task.durations.subarray(task.offsets[k], task.offsets[k + 1])
      const outcomes = task.hasOutcomes[k] ? task.outcomes.subarray(task.outcomeOffsets[k], task.outcomeOffsets[k + 1]) : undefined
      encodeAnalysis(_measureSeries(kernels, durations, outcomes, options, `batch[${task.first + k}]`), values, k)
    }
    return move(values) as Float64Array
  } catch (error) {
    return reported(error)
  }
}

/** Measures every history of the chunk (see history-signals.ts). */
export function measureHistories(task: HistoryChunkTask): ChunkResult {
  try {
    const kernels = activateKernels(task.wasmPath)
    const values = new Float64Array((task.to - task.from) * MEASURE_FIELDS)
    const scratch = new HistoryScratch(task.histories.fileCount)
    for (let k = task.from; k < task.to; k++) {
      if (Atomics.load(task.cancel, 0) !== 0) return { cancelled: true }
      encodeMeasures(_measureHistory(kernels, task.histories, k, scratch, task.messageBase), values, k - task.from)
    }
    return move(values) as Float64Array
  } catch (error) {
    return reported(error)
  }
}

/** The failure grid's edges (see failure-edges.ts). */
export function failureEdges(task: EdgeTask): ChunkResult {
  try {
    if (Atomics.load(task.cancel, 0) !== 0) return { cancelled: true }
    return move(encodeEdges(_failureEdges(activateKernels(task.wasmPath), task.grid))) as Float64Array
  } catch (error) {
    return reported(error)
  }
}

function reported(error: unknown): ChunkResult {
  if (error instanceof FlakelineError) return { error: { code: error.code, message: error.message } }
  throw error
}

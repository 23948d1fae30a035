import { _checkGrid, _failureEdges, type FailureEdge, type FailureGrid } from './failure-edges.js'
import { HistoryScratch, _checkPacked, _measureHistory, type HistoryMeasures, type PackedHistories } from './history-signals.js'
import { activeKernels } from './kernels.js'

/**
 * Measures every packed history in this thread (see {@link HistoryMeasures}): the signals behind
 * flaky verdicts. {@link AnalysisPool.measureHistories} runs exactly this in worker threads.
 *
 * @example measureHistories(packed)[0].flipRate
 */
export function measureHistories(histories: PackedHistories): HistoryMeasures[] {
  _checkPacked(histories)
  const kernels = activeKernels()
  const scratch = new HistoryScratch(histories.fileCount)
  return Array.from({ length: histories.starts.length }, (_, k) => _measureHistory(kernels, histories, k, scratch))
}

/**
 * Pairs of tests whose failures fall in the same runs (see {@link FailureEdge}), in this thread.
 *
 * @example failureEdges({ offsets: Int32Array.of(0, 2, 4), positions: Int32Array.of(3, 9, 3, 9), length: 10 }) // [{ a: 0, b: 1, similarity: 1, together: 2 }]
 */
export function failureEdges(grid: FailureGrid): FailureEdge[] {
  _checkGrid(grid)
  return _failureEdges(activeKernels(), grid)
}

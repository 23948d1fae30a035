import type { Kernels } from './kernels.js'
import { activeKernels } from './kernels.js'
import { _autocorrelationAt, _momentsAt } from './periodicity.js'
import { checkOptions, integerOption, placeSeries, type NumericSeries } from './series-input.js'

/** Options of {@link lyapunov}; each default is computed from the series. */
export interface LyapunovOptions {
  /**
   * Embedding dimension. Default 3: enough to unfold fixed points, cycles and low-dimensional
   * chaotic maps, while the number of points needed for close neighbours grows exponentially
   * with the dimension and test histories are short.
   */
  dimension?: number
  /**
   * Embedding delay in samples. Default: the first lag where the autocorrelation falls to 1/e
   * or below (at the latest, its first zero crossing), so coordinates are neither redundant nor
   * unrelated; capped so the embedding spans at most a quarter of the series.
   */
  delay?: number
  /**
   * Theiler window: neighbours must be more than this many samples apart, so a point is not
   * paired with its own recent past. Default: dimension × delay, one embedding span.
   */
  theiler?: number
  /** Length of the divergence curve, in samples. Default: a tenth of the points, 2 to 20. */
  steps?: number
  /**
   * How many initial steps the slope is fitted over. Default: until the curve first covers half
   * of its rise from the start to its peak (at least 2) — the exponential phase before the
   * separation saturates at the attractor's size; all steps when the curve does not rise.
   */
  fit?: number
}

/** What {@link lyapunov} measured, with the parameters it used. */
export interface LyapunovResult {
  /** Largest Lyapunov exponent in nats per sample; 0 when there is no evidence (`pairs` = 0). */
  exponent: number
  dimension: number
  delay: number
  theiler: number
  steps: number
  fit: number
  /** Embedded points that found a neighbour outside the Theiler window. */
  pairs: number
  /** Mean ln distance of the neighbour pairs after k samples, k = 0..steps-1 (NaN: no pair). */
  divergence: Float64Array
  /** RMS error of predicting each next value by its neighbour's next value (0 without pairs). */
  predictionError: number
}

// Slots before the divergence curve: exponent, pairs, predictionError, fit, predictions.
const HEADER = 5

// Separations below this fraction of the standard deviation are rounding, not dynamics: an
// exactly repeating cycle would otherwise "diverge" from 1e-16 to 1e-15.
const RESOLUTION = 1e-9

/**
 * Lyapunov analysis of the `n` values already at `ptr`; `r` may carry their autocorrelation
 * from lag 0. `predictions` counts the pairs behind `predictionError`. @internal
 */
export function _lyapunovAt(kernels: Kernels, ptr: number, n: number, options: LyapunovOptions, r?: Float64Array): { result: LyapunovResult; predictions: number } {
  checkOptions(options)
  const dimension = integerOption(options, 'dimension', 1, 3)
  const maxDelay = Math.max(1, Math.floor(n / (4 * Math.max(1, dimension - 1))))
  let delay = integerOption(options, 'delay', 1, 0)
  if (delay === 0) {
    const acf = r && r.length > maxDelay ? r : _autocorrelationAt(kernels, ptr, n, maxDelay)
    delay = 1
    while (delay < maxDelay && acf[delay]! > 1 / Math.E) delay++
  }
  const theiler = integerOption(options, 'theiler', 0, dimension * delay)
  const points = Math.max(0, n - (dimension - 1) * delay)
  const steps = integerOption(options, 'steps', 1, Math.min(20, Math.max(2, Math.floor(points / 10))))
  const fit = integerOption(options, 'fit', 2, -1)
  const { variance } = _momentsAt(kernels, ptr, n)
  const floor = RESOLUTION * Math.sqrt(variance)
  const out = kernels.reserve((HEADER + steps) * 8)
  const scratch = kernels.reserve(3 * n * 8)
  kernels.exports.rosenstein(ptr, n, dimension, delay, theiler, steps, fit, floor * floor, out, scratch)
  const view = kernels.f64(out, HEADER + steps)
  const result: LyapunovResult = {
    exponent: view[0]!,
    dimension,
    delay,
    theiler,
    steps,
    fit: view[3]!,
    pairs: view[1]!,
    divergence: view.slice(HEADER),
    predictionError: view[2]!,
  }
  return { result, predictions: view[4]! }
}

/**
 * Largest Lyapunov exponent by Rosenstein, Collins & De Luca (1993): the series is embedded
 * with a time delay, every point is paired with its nearest neighbour (Euclidean, outside the
 * Theiler window), and the mean log separation of the pairs is followed forward; its slope is
 * the exponent. Positive means nearby histories drift apart exponentially (chaos, or noise —
 * see {@link classifyAttractor} for telling them apart); about 0 means a cycle or a fixed point.
 *
 * Series too short for any neighbour pair (empty, length 1, or shorter than the embedding plus
 * the Theiler window) give exponent 0 with `pairs` 0; constant series give exponent 0 with every
 * divergence step NaN (no separation to follow). NaN or ±Infinity throws
 * `FLAKELINE_E_ANALYSIS_INPUT`.
 *
 * @example lyapunov(logisticMap).exponent // ≈ 0.69 (ln 2) for r = 4
 */
export function lyapunov(series: NumericSeries, options: LyapunovOptions = {}): LyapunovResult {
  const kernels = activeKernels()
  kernels.begin()
  const ptr = placeSeries(kernels, series, 'series')
  return _lyapunovAt(kernels, ptr, series.length, options).result
}

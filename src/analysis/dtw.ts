import { inputError } from './errors.js'
import { activeKernels } from './kernels.js'
import { checkOptions, checkSeries, integerOption, placeSeries, writeFinite, type NumericSeries } from './series-input.js'

/** Options of {@link dtw} and {@link dtwMany}. */
export interface DtwOptions {
  /**
   * Sakoe-Chiba band radius: cell (i, j) is used only when |i - j| <= window. Widened to
   * |a.length - b.length| when narrower, so a path always exists. Default: no band (full DTW).
   */
  window?: number
  /**
   * Early abandoning: stop as soon as the distance is certain to exceed this value and return
   * `Infinity`. The result is therefore the exact distance when it is <= abandonAbove, and
   * `Infinity` otherwise. Default: never abandon.
   */
  abandonAbove?: number
}

interface ResolvedDtwOptions {
  window: number
  limit: number
}

function resolve(options: DtwOptions | undefined): ResolvedDtwOptions {
  if (options === undefined) return { window: -1, limit: Infinity }
  checkOptions(options)
  const window = integerOption(options, 'window', 0, -1, true)
  const limit = options.abandonAbove ?? Infinity
  if (typeof limit !== 'number' || Number.isNaN(limit)) {
    throw inputError(`options.abandonAbove must be a number (got ${String(options.abandonAbove)})`)
  }
  return { window, limit }
}

/**
 * Dynamic time warping distance between two numeric series: the cheapest monotone alignment,
 * summing |a_i - b_j| over aligned pairs (steps: diagonal, vertical, horizontal).
 *
 * - Two empty series are 0 apart; an empty and a non-empty series are `Infinity` apart (there
 *   is no alignment). A length-1 series against b is Σ|a_0 - b_j|.
 * - NaN or ±Infinity anywhere throws `FLAKELINE_E_ANALYSIS_INPUT`.
 * - Returns `Infinity` when abandoned (see {@link DtwOptions.abandonAbove}).
 *
 * @example dtw([1, 2, 3], [1, 1, 2, 3]) // 0
 */
export function dtw(a: NumericSeries, b: NumericSeries, options?: DtwOptions): number {
  const { window, limit } = resolve(options)
  const kernels = activeKernels()
  kernels.begin()
  const pa = placeSeries(kernels, a, 'a')
  const pb = placeSeries(kernels, b, 'b')
  const scratch = kernels.reserve((b.length + 1) * 16)
  return kernels.exports.dtw(pa, a.length, pb, b.length, window, limit, scratch)
}

/**
 * {@link dtw} of one query against many series in a single kernel call: the series are packed
 * back to back into kernel memory with an offsets table, and runs of four equal-length series
 * are computed together in SIMD lanes. Returns distances in the order of `series`.
 *
 * @example dtwMany(window, histories, { window: 10 }) // Float64Array of histories.length
 */
export function dtwMany(query: NumericSeries, series: readonly NumericSeries[], options?: DtwOptions): Float64Array {
  const { window, limit } = resolve(options)
  if (!Array.isArray(series)) throw inputError('series must be an array of numeric series')
  const kernels = activeKernels()
  kernels.begin()
  const pq = placeSeries(kernels, query, 'query')
  let total = 0
  let longest = 0
  for (let k = 0; k < series.length; k++) {
    const s: unknown = series[k]
    checkSeries(s, `series[${k}]`)
    total += s.length
    longest = Math.max(longest, s.length)
  }
  const packed = kernels.reserve(total * 8)
  const offsets = kernels.reserve((series.length + 1) * 4)
  const out = kernels.reserve(series.length * 8)
  // The four-lane path needs 32 bytes per position plus two rows of (m+1)·32 bytes.
  const scratch = kernels.reserve(32 * longest + 64 * (longest + 1))
  const offsetView = kernels.i32(offsets, series.length + 1)
  let at = 0
  for (let k = 0; k < series.length; k++) {
    const s = series[k]!
    offsetView[k] = at
    writeFinite(kernels, packed + at * 8, s, `series[${k}]`)
    at += s.length
  }
  offsetView[series.length] = at
  kernels.exports.dtwMany(pq, query.length, packed, offsets, series.length, window, limit, out, scratch)
  return kernels.f64(out, series.length).slice()
}

import { activeKernels } from './kernels.js'
import { checkOptions, integerOption, placeSeries, type NumericSeries } from './series-input.js'

/** Options of {@link findSimilar}. */
export interface FindSimilarOptions {
  /**
   * Maximum warping: a path is dropped where the series index strays more than `window` from
   * `start + patternIndex`. Default: unlimited.
   */
  window?: number
  /** How many matches to return at most. Default 5. */
  limit?: number
}

/** One match of the pattern: `series.slice(start, end)` aligns to the whole pattern. */
export interface SimilarWindow {
  /** First index of the match in the series. */
  start: number
  /** One past the last index of the match (exclusive, like `slice`). */
  end: number
  /** DTW distance between the pattern and `series.slice(start, end)` along the found path. */
  distance: number
}

/**
 * Subsequence DTW: where in `series` does something shaped like `pattern` occur? Every end
 * index gets the cheapest alignment of the whole pattern ending there (with |p_i - s_j| cost,
 * free start); the best ends are then taken greedily, skipping any that overlap a match
 * already taken.
 *
 * Returns at most `limit` non-overlapping matches sorted by distance, then start, ascending.
 * An empty pattern or series gives `[]`. NaN or ±Infinity throws `FLAKELINE_E_ANALYSIS_INPUT`.
 *
 * @example findSimilar([0, 5, 0], durations, { limit: 3 }) // [{ start, end, distance }, ...]
 */
export function findSimilar(pattern: NumericSeries, series: NumericSeries, options: FindSimilarOptions = {}): SimilarWindow[] {
  checkOptions(options)
  const window = integerOption(options, 'window', 0, -1, true)
  const limit = integerOption(options, 'limit', 0, 5)
  const kernels = activeKernels()
  kernels.begin()
  const pp = placeSeries(kernels, pattern, 'pattern')
  const ps = placeSeries(kernels, series, 'series')
  const m = pattern.length
  const n = series.length
  if (m === 0 || n === 0 || limit === 0) return []
  const outDistance = kernels.reserve(n * 8)
  const outStart = kernels.reserve(n * 4)
  const scratch = kernels.reserve((n + 1) * 24)
  kernels.exports.subsequenceDtw(pp, m, ps, n, window, outDistance, outStart, scratch)
  const distances = kernels.f64(outDistance, n)
  const starts = kernels.i32(outStart, n)

  const candidates: SimilarWindow[] = []
  for (let j = 0; j < n; j++) {
    const distance = distances[j]!
    if (distance !== Infinity) candidates.push({ start: starts[j]!, end: j + 1, distance })
  }
  candidates.sort((x, y) => x.distance - y.distance || x.start - y.start || x.end - y.end)
  const taken: SimilarWindow[] = []
  for (const candidate of candidates) {
    if (taken.length >= limit) break
    if (taken.every((t) => candidate.end <= t.start || candidate.start >= t.end)) taken.push(candidate)
  }
  return taken
}

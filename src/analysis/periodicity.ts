import type { Kernels } from './kernels.js'
import { activeKernels } from './kernels.js'
import { placeSeries, type NumericSeries } from './series-input.js'

/** What {@link dominantPeriod} found. */
export interface PeriodEstimate {
  /**
   * The dominant period in samples, refined between lags by a parabola through the peak, or
   * `null` when the series does not repeat convincingly.
   */
  period: number | null
  /**
   * Autocorrelation at the peak lag (in [-1, 1]). When `period` is null: the highest
   * autocorrelation past the first zero crossing, or 0 when there was none.
   */
  strength: number
}

/**
 * Biased autocorrelation r(0..maxLag) of the `n` values already at `ptr` in kernel memory.
 * @internal
 */
export function _autocorrelationAt(kernels: Kernels, ptr: number, n: number, maxLag: number): Float64Array {
  const out = kernels.reserve((maxLag + 1) * 8)
  const scratch = kernels.reserve(n * 8)
  kernels.exports.autocorrelation(ptr, n, maxLag, out, scratch)
  return kernels.f64(out, maxLag + 1).slice()
}

/** Mean and population variance of the `n` values at `ptr`. @internal */
export function _momentsAt(kernels: Kernels, ptr: number, n: number): { mean: number; variance: number } {
  const out = kernels.reserve(16)
  kernels.exports.meanAndVariance(ptr, n, out)
  const [mean, variance] = kernels.f64(out, 2)
  return { mean: mean!, variance: variance! }
}

/**
 * The smallest peak height we call a period. White noise gives autocorrelations of about
 * ±1/√n at every lag, so short series need a clearly higher peak; 0.3 keeps weak ripples out.
 */
export function minimumPeriodStrength(n: number): number {
  return Math.max(0.3, 3 / Math.sqrt(n))
}

/** A peak this close to the highest one counts as the period; later peaks are its multiples. */
const PEAK_SHARE = 0.8

/**
 * Dominant period from an autocorrelation r(0..maxLag) of an n-value series: the first local
 * maximum after the first lag where r drops to 0 or below (before that, r is still the decay of
 * short-range memory, not repetition) that reaches 80% of the highest value there. Taking the
 * first such peak rather than the highest keeps a period of 12.5 samples from being reported as
 * 25, where sampling makes the repeat exact. A series that repeats exactly at the peak lag
 * (a test failing every third run) has that lag as its period; otherwise the peak is refined by
 * a parabola through the unbiased autocorrelation, r(k)·n/(n-k), whose peaks are not pulled
 * towards shorter lags. `x` holds the n values. @internal
 */
export function _periodFromAutocorrelation(r: Float64Array, x: ArrayLike<number>): PeriodEstimate {
  const n = x.length
  const maxLag = r.length - 1
  let zero = 1
  while (zero <= maxLag && r[zero]! > 0) zero++
  if (zero > maxLag) return { period: null, strength: 0 }
  let highest = zero
  for (let k = zero + 1; k <= maxLag; k++) if (r[k]! > r[highest]!) highest = k
  if (r[highest]! < minimumPeriodStrength(n)) return { period: null, strength: Math.max(r[highest]!, 0) }
  let peak = highest
  for (let k = zero; k < highest; k++) {
    if (r[k]! >= PEAK_SHARE * r[highest]! && r[k]! >= r[k - 1]! && r[k]! >= r[k + 1]!) {
      peak = k
      break
    }
  }
  const strength = r[peak]!
  let period = peak
  if (peak > 1 && peak < maxLag && !repeatsExactly(x, peak)) {
    const unbiased = (k: number): number => (r[k]! * n) / (n - k)
    const left = unbiased(peak - 1)
    const centre = unbiased(peak)
    const right = unbiased(peak + 1)
    const curvature = left - 2 * centre + right
    if (curvature < 0) period += Math.max(-0.5, Math.min(0.5, (0.5 * (left - right)) / curvature))
  }
  return { period, strength }
}

function repeatsExactly(x: ArrayLike<number>, lag: number): boolean {
  for (let t = 0; t + lag < x.length; t++) if (x[t] !== x[t + lag]) return false
  return true
}

/**
 * Dominant period of a numeric series from its autocorrelation (see {@link PeriodEstimate}).
 * Lags up to half the length are searched, so a period must repeat at least twice to be found.
 * Empty, length-1 and constant series give `{ period: null, strength: 0 }`; so do series of
 * fewer than 4 values. NaN or ±Infinity
 * throws `FLAKELINE_E_ANALYSIS_INPUT`.
 *
 * @example dominantPeriod(Array.from({ length: 200 }, (_, i) => Math.sin(i / 4))).period // ≈ 25.13
 */
export function dominantPeriod(series: NumericSeries): PeriodEstimate {
  const kernels = activeKernels()
  kernels.begin()
  const ptr = placeSeries(kernels, series, 'series')
  const n = series.length
  if (n < 4) return { period: null, strength: 0 }
  const r = _autocorrelationAt(kernels, ptr, n, Math.floor(n / 2))
  return _periodFromAutocorrelation(r, kernels.f64(ptr, n))
}

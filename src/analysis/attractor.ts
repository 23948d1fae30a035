import type { Kernels } from './kernels.js'
import { activeKernels } from './kernels.js'
import { _lyapunovAt, type LyapunovOptions } from './lyapunov.js'
import { _autocorrelationAt, _momentsAt, _periodFromAutocorrelation } from './periodicity.js'
import { checkOptions, placeSeries, type NumericSeries } from './series-input.js'

/** The long-run behaviour a series looks like. */
export type AttractorKind = 'fixed-point' | 'limit-cycle' | 'chaotic' | 'stochastic'

/** The call {@link classifyAttractor} made and the numbers behind it. */
export interface AttractorReport {
  kind: AttractorKind
  /** Largest Lyapunov exponent, nats per sample (see {@link lyapunov}). */
  exponent: number
  /** Dominant period in samples, or null (see {@link dominantPeriod}). */
  period: number | null
  /** Autocorrelation at the period (see {@link PeriodEstimate.strength}). */
  periodStrength: number
  /** Lag-1 autocorrelation. */
  autocorrelation: number
  /** Population variance. */
  variance: number
  /** Variance of the last quarter divided by the variance of the whole series (0 if constant). */
  settledRatio: number
  /**
   * How much better the nearest-neighbour forecast of the next value is than the best lag-1
   * linear forecast, in [0, 1]: 1 - rmsNeighbourError / (√2 · σ · √(1 - r1²)). Noise scores
   * about 0 (a neighbour's future is as random as one's own, hence the √2), deterministic
   * dynamics close to 1 (after Sugihara & May 1990). 0 without neighbour pairs.
   */
  determinism: number
}

/** Options of {@link classifyAttractor}. */
export interface ClassifyOptions {
  /** Passed to the Lyapunov estimate. */
  lyapunov?: LyapunovOptions
}

/** The thresholds of {@link classifyAttractor}'s rules, in the order they are applied. */
export const ATTRACTOR_THRESHOLDS = {
  /** fixed-point below this settled ratio: the last quarter varies < 1% as much as the whole. */
  settledRatio: 0.01,
  /** limit-cycle from this period strength: the series matches itself one period later. */
  periodStrength: 0.5,
  /** chaotic needs at least this determinism ... */
  determinism: 0.5,
  /** ... and an exponent above this (nats per sample); slower divergence is drift, not chaos. */
  exponent: 0.05,
} as const

/** Classification of the `n` values already at `ptr`. @internal */
export function _classifyAt(kernels: Kernels, ptr: number, n: number, options: ClassifyOptions): AttractorReport {
  checkOptions(options)
  const lyapunovOptions = options.lyapunov ?? {}
  const { variance } = _momentsAt(kernels, ptr, n)
  if (n < 2 || variance === 0) {
    return { kind: 'fixed-point', exponent: 0, period: null, periodStrength: 0, autocorrelation: 0, variance, settledRatio: 0, determinism: 1 }
  }
  const tail = Math.max(2, Math.floor(n / 4))
  const settledRatio = _momentsAt(kernels, ptr + (n - tail) * 8, tail).variance / variance
  const r = _autocorrelationAt(kernels, ptr, n, Math.max(1, Math.floor(n / 2)))
  const autocorrelation = r[1] ?? 0
  const { period, strength } = n >= 4 ? _periodFromAutocorrelation(r, kernels.f64(ptr, n)) : { period: null, strength: 0 }
  const { result, predictions } = _lyapunovAt(kernels, ptr, n, lyapunovOptions, r)
  let determinism = 0
  if (predictions > 0) {
    const linearError = Math.sqrt(variance) * Math.sqrt(Math.max(1 - autocorrelation * autocorrelation, 1e-12))
    determinism = Math.min(1, Math.max(0, 1 - result.predictionError / (Math.SQRT2 * linearError)))
  }
  const report = { exponent: result.exponent, period, periodStrength: strength, autocorrelation, variance, settledRatio, determinism }
  return { kind: kindOf(report), ...report }
}

function kindOf(r: Omit<AttractorReport, 'kind'>): AttractorKind {
  const t = ATTRACTOR_THRESHOLDS
  if (r.settledRatio < t.settledRatio) return 'fixed-point'
  // A clear period wins over a positive exponent: noise on a cycle inflates the exponent.
  if (r.period !== null && r.periodStrength >= t.periodStrength) return 'limit-cycle'
  if (r.determinism >= t.determinism && r.exponent > t.exponent) return 'chaotic'
  return 'stochastic'
}

/**
 * Names the attractor a series looks like, with the numbers behind the call. Rules, in order:
 * 1. `fixed-point`: fewer than 2 values, a constant series, or a last quarter that varies less
 *    than 1% as much as the whole series (it has settled).
 * 2. `limit-cycle`: a dominant period with autocorrelation >= 0.5 at that lag.
 * 3. `chaotic`: determinism >= 0.5 and Lyapunov exponent > 0.05 nats/sample (deterministic and
 *    diverging).
 * 4. `stochastic`: everything else — no settling, no repetition, no deterministic divergence.
 *
 * A chaotic oscillator with a strong period is reported as a limit-cycle; its exponent is in
 * the report. NaN or ±Infinity throws `FLAKELINE_E_ANALYSIS_INPUT`.
 *
 * @example classifyAttractor(durations).kind // 'stochastic'
 */
export function classifyAttractor(series: NumericSeries, options: ClassifyOptions = {}): AttractorReport {
  const kernels = activeKernels()
  kernels.begin()
  const ptr = placeSeries(kernels, series, 'series')
  return _classifyAt(kernels, ptr, series.length, options)
}

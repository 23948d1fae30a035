import { _classifyAt, type AttractorKind } from './attractor.js'
import { inputError } from './errors.js'
import type { Kernels } from './kernels.js'
import { activeKernels } from './kernels.js'
import type { LyapunovOptions } from './lyapunov.js'
import { checkOptions, checkSeries, integerOption, placeIntegers, placeSeries, type IntegerSequence, type NumericSeries } from './series-input.js'

/** One test's history as the analysis sees it. */
export interface SeriesInput {
  /** Caller's identifier, returned unchanged. */
  id: string
  /** Durations (or any numeric measure), oldest first. */
  durations: NumericSeries
  /** Integer-coded outcomes, oldest first (for example 0 = passed, 1 = failed). */
  outcomes?: IntegerSequence
}

/** Options of {@link analyseSeries} and {@link AnalysisPool.analyse}. */
export interface AnalyseOptions {
  /** The reference window: each series' latest `reference.length` durations are compared to it by DTW. */
  reference: NumericSeries
  /**
   * Sakoe-Chiba radius of that comparison. Default: 10% of the reference length, rounded up —
   * the band Sakoe and Chiba recommend; it keeps a shifted spike close without letting a
   * flat window match a busy one by warping.
   */
  band?: number
  /** Reference outcomes: each series' latest outcomes are compared to them by edit distance. */
  referenceOutcomes?: IntegerSequence
  /** Passed to the Lyapunov estimate. */
  lyapunov?: LyapunovOptions
}

/** What the analysis found for one series. */
export interface SeriesAnalysis {
  id: string
  /** DTW distance between the latest durations and the reference window. */
  distance: number
  /** Dominant period of the durations in runs, or null. */
  period: number | null
  periodStrength: number
  /** Largest Lyapunov exponent of the durations, nats per run. */
  exponent: number
  attractor: AttractorKind
  determinism: number
  variance: number
  /** Share of consecutive outcomes that differ, or null with fewer than 2 outcomes. */
  flipRate: number | null
  /** Edit distance between the latest outcomes and `referenceOutcomes`, or null without both. */
  outcomeDistance: number | null
}

/** Checks the options once per batch; throws ANALYSIS_INPUT naming the bad option. @internal */
export function _checkAnalyseOptions(options: unknown): asserts options is AnalyseOptions {
  checkOptions(options)
  const o = options as AnalyseOptions
  checkSeries(o.reference, 'options.reference')
  for (let i = 0; i < o.reference.length; i++) {
    if (!Number.isFinite(o.reference[i])) throw inputError(`options.reference[${i}] is ${String(o.reference[i])}; it must hold finite numbers`)
  }
  integerOption(o, 'band', 0, 0, true)
  if (o.referenceOutcomes !== undefined) checkSeries(o.referenceOutcomes, 'options.referenceOutcomes')
  if (o.lyapunov !== undefined) checkOptions(o.lyapunov)
}

function latest<T extends ArrayLike<number>>(values: T, count: number): ArrayLike<number> {
  const from = Math.max(0, values.length - count)
  if (ArrayBuffer.isView(values)) return (values as unknown as Float64Array).subarray(from)
  return Array.prototype.slice.call(values, from) as number[]
}

/** The analysis of one series, without its id; `label` names it in error messages. @internal */
export function _measureSeries(kernels: Kernels, durations: NumericSeries, outcomes: IntegerSequence | undefined, options: AnalyseOptions, label: string): Omit<SeriesAnalysis, 'id'> {
  kernels.begin()
  const n = durations.length
  const pd = placeSeries(kernels, durations, `${label}.durations`)
  const m = options.reference.length
  const pr = placeSeries(kernels, options.reference, 'options.reference')
  const band = integerOption(options, 'band', 0, Math.ceil(m / 10), true)
  const compared = Math.min(n, m)
  const scratch = kernels.reserve((m + 1) * 16)
  const distance = kernels.exports.dtw(pd + (n - compared) * 8, compared, pr, m, band, Infinity, scratch)
  const report = _classifyAt(kernels, pd, n, { lyapunov: options.lyapunov ?? {} })

  let flipRate: number | null = null
  let outcomeDistance: number | null = null
  if (outcomes !== undefined) {
    kernels.begin()
    const po = placeIntegers(kernels, outcomes, `${label}.outcomes`)
    const codes = kernels.i32(po, outcomes.length)
    if (codes.length >= 2) {
      let flips = 0
      for (let i = 1; i < codes.length; i++) if (codes[i] !== codes[i - 1]) flips++
      flipRate = flips / (codes.length - 1)
    }
    if (options.referenceOutcomes !== undefined) {
      const reference = options.referenceOutcomes
      const recent = latest(outcomes, reference.length)
      const pa = placeIntegers(kernels, recent, `${label}.outcomes`)
      const pb = placeIntegers(kernels, reference, 'options.referenceOutcomes')
      outcomeDistance = kernels.exports.editDistance(pa, recent.length, pb, reference.length, kernels.reserve((reference.length + 1) * 8))
    }
  }
  return {
    distance,
    period: report.period,
    periodStrength: report.periodStrength,
    exponent: report.exponent,
    attractor: report.kind,
    determinism: report.determinism,
    variance: report.variance,
    flipRate,
    outcomeDistance,
  }
}

/**
 * Analyses one test's history in this thread: DTW distance of its latest durations to the
 * reference window, dominant period, Lyapunov exponent and attractor class of the durations,
 * and outcome flip rate and edit distance. {@link AnalysisPool} runs exactly this in workers.
 *
 * @example analyseSeries({ id: 'a > b', durations }, { reference: durations.slice(0, 20) })
 */
export function analyseSeries(input: SeriesInput, options: AnalyseOptions): SeriesAnalysis {
  _checkAnalyseOptions(options)
  if (typeof input !== 'object' || input === null) throw inputError('series must be an object { id, durations, outcomes? }')
  return { id: input.id, ..._measureSeries(activeKernels(), input.durations, input.outcomes, options, 'series') }
}

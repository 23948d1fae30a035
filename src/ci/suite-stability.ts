import { AnalysisPool } from '../analysis/analysis-pool.js'
import type { AttractorKind, SeriesAnalysis } from '../analysis/index.js'
import { safeText } from '../cli/format.js'
import type { FileHistory, RunRecord, TestHistory } from '../records.js'

/**
 * How a series behaves over recent runs, in words a team can act on:
 * - `stable`: it settled (a fixed point), or it varies around a level without a trend;
 * - `periodic`: it repeats (a limit cycle: nightly jobs, a weekly data refresh, a cache that expires);
 * - `drifting`: it moves steadily one way (Mann-Kendall trend): a suite getting slower, a pass rate eroding;
 * - `chaotic`: deterministic and sensitive (positive Lyapunov exponent with high determinism): small
 *   changes in what runs together swing the outcome, the signature of order- and timing-dependence.
 */
export type StabilityKind = 'stable' | 'periodic' | 'drifting' | 'chaotic'

/** One series of the suite (pass rate or duration) analysed by the pool. */
export interface SeriesStability {
  kind: StabilityKind
  /** The class the analysis kernels gave. */
  attractor: AttractorKind
  /** Largest Lyapunov exponent, nats per run. */
  exponent: number
  period: number | null
  /** Mann-Kendall z of the trend (|z| > 2.58: significant at 1%). */
  trendZ: number
  /** Theil-Sen slope times the runs, relative to the median: the change over the window. */
  change: number
  median: number
  latest: number
}

/** The tests (for the pass rate) and files (for the duration) that move the suite's series most. */
export interface StabilityDrivers {
  failing: Array<{ file: string; test: string; failedRuns: number; runs: number }>
  slow: Array<{ file: string; spreadMs: number; share: number }>
}

/** The suite's stability over its recent runs. */
export interface SuiteStability {
  /** Runs analysed (finished, with tests). */
  runs: number
  /** Runs needed before the series are classified. */
  needed: number
  passRate: SeriesStability | null
  duration: SeriesStability | null
  /** The worse of the two: chaotic > drifting > periodic > stable; null with too few runs. */
  kind: StabilityKind | null
  drivers: StabilityDrivers
}

/** Runs looked at, and runs needed: the exponent and the period need a few dozen points to mean anything. */
export const STABILITY_RUNS = 50
export const STABILITY_MIN_RUNS = 10
const RANK: Record<StabilityKind, number> = { stable: 0, periodic: 1, drifting: 2, chaotic: 3 }
/** Two-sided 1% point of the normal distribution: a trend this sure is not a few unlucky runs. */
const TREND_Z = 2.576

/** Mann-Kendall trend statistic (z, continuity-corrected, ties ignored in the variance) and the Theil-Sen slope. */
export function trendOf(values: readonly number[]): { z: number; slope: number } {
  const n = values.length
  if (n < 3) return { z: 0, slope: 0 }
  let s = 0
  const slopes: number[] = []
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = values[j]! - values[i]!
      s += Math.sign(d)
      slopes.push(d / (j - i))
    }
  }
  const variance = (n * (n - 1) * (2 * n + 5)) / 18
  const z = s === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(variance)
  slopes.sort((a, b) => a - b)
  return { z, slope: slopes[Math.floor(slopes.length / 2)]! }
}

function median(values: readonly number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = sorted.length / 2
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The class of one series from the pool's analysis and its trend. */
export function classify(values: readonly number[], analysis: Pick<SeriesAnalysis, 'attractor' | 'exponent' | 'period'>): SeriesStability {
  const { z, slope } = trendOf(values)
  const mid = median(values)
  const change = mid !== 0 ? (slope * values.length) / Math.abs(mid) : 0
  let kind: StabilityKind
  if (analysis.attractor === 'fixed-point') kind = 'stable'
  else if (analysis.attractor === 'limit-cycle') kind = 'periodic'
  else if (analysis.attractor === 'chaotic') kind = 'chaotic'
  else kind = Math.abs(z) > TREND_Z ? 'drifting' : 'stable'
  return { kind, attractor: analysis.attractor, exponent: analysis.exponent, period: analysis.period, trendZ: z, change, median: mid, latest: values.at(-1) ?? 0 }
}

/** The runs the stability looks at: finished runs with tests, oldest first. */
export function stabilityRuns(recentNewestFirst: readonly RunRecord[]): RunRecord[] {
  return recentNewestFirst.filter((run) => run.status !== 'running' && run.passed + run.failed > 0).reverse()
}

/**
 * The tests that failed most in the runs analysed, and the files whose durations spread most (the
 * sum of the files' variances is the suite's when they run one after another: a file's share of it
 * is how much of the suite's wobble it explains).
 */
export function stabilityDrivers(seqs: ReadonlySet<number>, files: readonly FileHistory[], testsOf: (fileId: string) => readonly TestHistory[], limit = 3): StabilityDrivers {
  const failingFiles: Array<{ fileId: string; failed: number }> = []
  const spreads: Array<{ file: string; variance: number }> = []
  for (const file of files) {
    const entries = file.entries.filter((entry) => seqs.has(entry.seq) && (entry.status === 'passed' || entry.status === 'failed'))
    const failed = entries.filter((entry) => entry.status === 'failed').length
    if (failed > 0) failingFiles.push({ fileId: file.fileId, failed })
    if (entries.length >= 2) {
      const mean = entries.reduce((sum, entry) => sum + entry.durationMs, 0) / entries.length
      const variance = entries.reduce((sum, entry) => sum + (entry.durationMs - mean) ** 2, 0) / entries.length
      spreads.push({ file: file.fileId, variance })
    }
  }
  failingFiles.sort((a, b) => b.failed - a.failed || (a.fileId < b.fileId ? -1 : 1))
  const failing: StabilityDrivers['failing'] = []
  for (const { fileId } of failingFiles.slice(0, limit * 2)) {
    for (const test of testsOf(fileId)) {
      const entries = test.entries.filter((entry) => seqs.has(entry.seq) && (entry.status === 'passed' || entry.status === 'failed'))
      const failedRuns = entries.filter((entry) => entry.status === 'failed').length
      if (failedRuns > 0) failing.push({ file: fileId, test: test.name, failedRuns, runs: entries.length })
    }
  }
  failing.sort((a, b) => b.failedRuns - a.failedRuns || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.test < b.test ? -1 : 1))
  const total = spreads.reduce((sum, spread) => sum + spread.variance, 0)
  spreads.sort((a, b) => b.variance - a.variance || (a.file < b.file ? -1 : 1))
  return {
    failing: failing.slice(0, limit),
    slow: total > 0 ? spreads.slice(0, limit).filter((spread) => spread.variance > 0).map((spread) => ({ file: spread.file, spreadMs: Math.sqrt(spread.variance), share: spread.variance / total })) : [],
  }
}

/** What the stability is computed from (the store's reads, so tests can pass plain data). */
export interface StabilitySource {
  runs: readonly RunRecord[]
  files: () => readonly FileHistory[]
  testsOf: (fileId: string) => readonly TestHistory[]
}

/**
 * The suite's stability over its recent runs: the pass rate (passed / (passed + failed) tests) and
 * the duration of each run, classified by the analysis pool's kernels (attractor class, Lyapunov
 * exponent, period) in one batch, with a trend test for drift, and the tests and files that drive
 * them. With fewer than `STABILITY_MIN_RUNS` runs it says so and classifies nothing.
 */
export async function suiteStability(source: StabilitySource, options: { pool?: AnalysisPool } = {}): Promise<SuiteStability> {
  const runs = source.runs
  const seqs = new Set(runs.map((run) => run.seq))
  const drivers = runs.length > 0 ? stabilityDrivers(seqs, source.files(), source.testsOf) : { failing: [], slow: [] }
  if (runs.length < STABILITY_MIN_RUNS) return { runs: runs.length, needed: STABILITY_MIN_RUNS, passRate: null, duration: null, kind: null, drivers }
  const passRates = runs.map((run) => run.passed / (run.passed + run.failed))
  const durations = runs.map((run) => Math.max(0, run.durationMs))
  const pool = options.pool ?? new AnalysisPool({ threads: 1, closeTimeout: 1_000 })
  try {
    const half = Math.max(1, Math.floor(runs.length / 2))
    const [rate, time] = await pool.analyse(
      [
        { id: 'pass rate', durations: passRates, outcomes: runs.map((run) => (run.failed > 0 ? 1 : 0)) },
        { id: 'duration', durations },
      ],
      { reference: durations.slice(0, half) },
    )
    const passRate = classify(passRates, rate!)
    const duration = classify(durations, time!)
    const kind = RANK[passRate.kind] >= RANK[duration.kind] ? passRate.kind : duration.kind
    return { runs: runs.length, needed: STABILITY_MIN_RUNS, passRate, duration, kind, drivers }
  } finally {
    if (!options.pool) await pool.close()
  }
}

function describeSeries(name: string, series: SeriesStability, format: (value: number) => string): string {
  const how =
    series.kind === 'periodic'
      ? `periodic (every ${series.period !== null ? series.period.toFixed(1) : '?'} runs)`
      : series.kind === 'drifting'
        ? `drifting ${series.change >= 0 ? 'up' : 'down'} (${series.change >= 0 ? '+' : ''}${Math.round(series.change * 100)}% over the window)`
        : series.kind
  return `${name} ${how}, ${series.attractor}, λ ${series.exponent.toFixed(3)}/run, median ${format(series.median)}`
}

function percent(value: number): string {
  return `${(value * 100).toFixed(value >= 0.999 && value < 1 ? 2 : 1)}%`
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/**
 * The stability in one line (names bounded and control characters shown as escapes; Markdown callers escape the rest):
 * `stable over 30 runs: pass rate stable, fixed-point, λ 0.000/run, median 100.0%; duration drifting up (+18% over the window), stochastic, λ 0.041/run, median 4.2 s; driven by tests/slow.test.js (±0.8 s, 64% of the spread)`.
 */
export function stabilityLine(stability: SuiteStability): string {
  if (stability.kind === null || !stability.passRate || !stability.duration) {
    return `not classified yet: ${stability.runs} run${stability.runs === 1 ? '' : 's'} recorded, ${stability.needed} needed`
  }
  const parts = [describeSeries('pass rate', stability.passRate, percent), describeSeries('duration', stability.duration, seconds)]
  const drivers: string[] = []
  for (const test of stability.drivers.failing) drivers.push(`${safeText(test.test, 80)} (${safeText(test.file, 80)}, failed ${test.failedRuns} of ${test.runs})`)
  for (const file of stability.drivers.slow) drivers.push(`${safeText(file.file, 80)} (±${seconds(file.spreadMs)}, ${Math.round(file.share * 100)}% of the duration spread)`)
  return `${stability.kind} over ${stability.runs} runs: ${parts.join('; ')}${drivers.length ? `; driven by ${drivers.join(', ')}` : ''}`
}

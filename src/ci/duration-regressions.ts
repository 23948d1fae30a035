import type { HistoryEntry } from '../records.js'

/** A file or test whose duration moved above its own recent spread and stayed there. */
export interface DurationRegression {
  /** File id. */
  file: string
  /** The test's full name, or null for the whole file. */
  test: string | null
  /** Seq of the first run of the new level (the change point). */
  sinceSeq: number
  /** Runs at the new level, the newest included. */
  runsSince: number
  /** The baseline: the runs before the change point. */
  beforeP50Ms: number
  beforeP95Ms: number
  /** The median of the runs since the change point. */
  afterP50Ms: number
  /** afterP50 / beforeP50. */
  ratio: number
}

/** What a regression must clear; a file and a test have different floors. */
export interface RegressionThresholds {
  /** Runs a baseline needs: fewer say nothing about a spread. */
  minBefore: number
  /** Runs at the new level before it counts: one slow run (a loaded CI box, a cold cache) is not a regression. */
  minAfter: number
  /** The change point is looked for among the newest this many runs. */
  maxAfter: number
  /** Baseline runs used at most (the newest before the change point). */
  baselineRuns: number
  /** The new median must be at least this many times the old one ... */
  minRatio: number
  /** ... and this many milliseconds slower (a 2 ms test taking 4 ms is noise). */
  minDeltaMs: number
}

export const FILE_THRESHOLDS: RegressionThresholds = { minBefore: 5, minAfter: 3, maxAfter: 10, baselineRuns: 30, minRatio: 1.2, minDeltaMs: 100 }
export const TEST_THRESHOLDS: RegressionThresholds = { minBefore: 5, minAfter: 3, maxAfter: 10, baselineRuns: 30, minRatio: 1.2, minDeltaMs: 25 }

/** Linear-interpolated quantile of sorted values. */
export function quantileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  const high = Math.min(sorted.length - 1, low + 1)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low)
}

function sorted(values: readonly number[]): number[] {
  return values.slice().sort((a, b) => a - b)
}

/**
 * The change point of a duration series (oldest first), if its newest runs moved to a slower level:
 * the earliest index `c` among the newest `maxAfter` runs such that every run from `c` on is slower
 * than the p95 of the `baselineRuns` before it, with at least `minAfter` such runs, and the new
 * median clears `minRatio` and `minDeltaMs` over the old one. Every run above the old p95 by chance
 * has odds of 1 in 20; three in a row, 1 in 8,000: a level shift, not noise. The earliest qualifying
 * `c` is the start of the shift, so "before" does not hold any of the slow runs.
 */
export function changePoint(series: ReadonlyArray<{ seq: number; durationMs: number }>, thresholds: RegressionThresholds): Omit<DurationRegression, 'file' | 'test'> | null {
  const n = series.length
  if (n < thresholds.minBefore + thresholds.minAfter) return null
  const durations = series.map((entry) => entry.durationMs)
  // Walk back from the newest run while runs stay above the baseline that precedes them.
  let found: Omit<DurationRegression, 'file' | 'test'> | null = null
  for (let c = n - thresholds.minAfter; c >= Math.max(thresholds.minBefore, n - thresholds.maxAfter); c--) {
    const before = sorted(durations.slice(Math.max(0, c - thresholds.baselineRuns), c))
    const after = durations.slice(c)
    const p95 = quantileOf(before, 0.95)
    if (!after.every((value) => value > p95)) {
      // An earlier start would include this run below the baseline; nothing earlier can qualify.
      if (found) break
      continue
    }
    const p50 = quantileOf(before, 0.5)
    const afterP50 = quantileOf(sorted(after), 0.5)
    if (afterP50 < p50 * thresholds.minRatio || afterP50 - p50 < thresholds.minDeltaMs) continue
    found = { sinceSeq: series[c]!.seq, runsSince: n - c, beforeP50Ms: p50, beforeP95Ms: p95, afterP50Ms: afterP50, ratio: p50 > 0 ? afterP50 / p50 : Infinity }
  }
  return found
}

/**
 * The timed runs of a file's or test's history, oldest first: runs that ran (passed or failed). For
 * a file, runs that started a worker (cold caches) or timed the tests only are left out while there
 * are others, as the planner does.
 */
export function timedSeries(entries: readonly HistoryEntry[], file: boolean): Array<{ seq: number; durationMs: number }> {
  const ran = entries.filter((entry) => (entry.status === 'passed' || entry.status === 'failed') && Number.isFinite(entry.durationMs) && entry.durationMs >= 0)
  const clean = file ? ran.filter((entry) => !entry.firstOnWorker && !entry.partialDuration) : ran
  const use = clean.length >= FILE_THRESHOLDS.minBefore + FILE_THRESHOLDS.minAfter ? clean : ran
  return use.map((entry) => ({ seq: entry.seq, durationMs: entry.durationMs }))
}

/** The history the regressions of one run are looked for in. */
export interface RegressionSource {
  fileId: string
  fileEntries: readonly HistoryEntry[]
  tests: ReadonlyArray<{ name: string; entries: readonly HistoryEntry[] }>
}

/**
 * The duration regressions of a run: each file that ran, and each of its tests, whose newest run is
 * part of a shift to a slower level (see `changePoint`); the largest slow-downs first.
 */
export function durationRegressions(sources: Iterable<RegressionSource>, runSeq: number): DurationRegression[] {
  const found: DurationRegression[] = []
  const consider = (file: string, test: string | null, entries: readonly HistoryEntry[], thresholds: RegressionThresholds): void => {
    const series = timedSeries(entries, test === null).filter((entry) => entry.seq <= runSeq)
    if (series.at(-1)?.seq !== runSeq) return
    const change = changePoint(series, thresholds)
    if (change) found.push({ file, test, ...change })
  }
  for (const source of sources) {
    consider(source.fileId, null, source.fileEntries, FILE_THRESHOLDS)
    for (const test of source.tests) consider(source.fileId, test.name, test.entries, TEST_THRESHOLDS)
  }
  return found.sort((a, b) => b.afterP50Ms - b.beforeP50Ms - (a.afterP50Ms - a.beforeP50Ms) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

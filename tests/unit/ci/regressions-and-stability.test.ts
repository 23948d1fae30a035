import { describe, expect, test } from 'vitest'
import { FILE_THRESHOLDS, TEST_THRESHOLDS, changePoint, durationRegressions, timedSeries } from '../../../src/ci/duration-regressions.js'
import { classify, stabilityDrivers, stabilityLine, suiteStability, trendOf } from '../../../src/ci/suite-stability.js'
import type { HistoryEntry, RunRecord, TestHistory } from '../../../src/records.js'
import { newRun } from '../core/_fixtures.js'

const series = (durations: readonly number[]) => durations.map((durationMs, i) => ({ seq: i + 1, durationMs }))
const entries = (durations: readonly number[], extra: Partial<HistoryEntry> = {}): HistoryEntry[] =>
  durations.map((durationMs, i) => ({ seq: i + 1, status: 'passed', durationMs, startedAt: i, attempts: 1, ...extra }))

describe('duration regressions: a change point, not one slow run', () => {
  const steady = [100, 104, 98, 101, 99, 103, 100, 102]

  test('three runs above the old p95 and 20% and 25 ms slower: since the first of them, with before and after', () => {
    expect(changePoint(series([...steady, 180, 175, 182]), TEST_THRESHOLDS)).toEqual({ sinceSeq: 9, runsSince: 3, beforeP50Ms: 100.5, beforeP95Ms: expect.closeTo(103.65, 2), afterP50Ms: 180, ratio: expect.closeTo(180 / 100.5, 5) })
  })

  test('one or two slow runs are not a regression; a spike in the middle is not either', () => {
    expect(changePoint(series([...steady, 400]), TEST_THRESHOLDS)).toBeNull()
    expect(changePoint(series([...steady, 400, 390]), TEST_THRESHOLDS)).toBeNull()
    expect(changePoint(series([...steady, 400, 101, 400, 420]), TEST_THRESHOLDS)).toBeNull()
  })

  test('the change point is the start of the new level, however many runs it has lasted (up to 10)', () => {
    const result = changePoint(series([...steady, 150, 160, 155, 158, 152, 157]), TEST_THRESHOLDS)
    expect(result).toMatchObject({ sinceSeq: 9, runsSince: 6, afterP50Ms: 156 })
  })

  test('too small to matter: under 20% or under the floor in ms', () => {
    expect(changePoint(series([...steady, 110, 111, 112]), TEST_THRESHOLDS)).toBeNull()
    expect(changePoint(series([2, 2, 2, 2, 2, 2, 9, 9, 9]), TEST_THRESHOLDS)).toBeNull()
    expect(changePoint(series([500, 510, 505, 500, 502, 650, 660, 655]), FILE_THRESHOLDS)).toMatchObject({ sinceSeq: 6 })
    expect(changePoint(series([500, 510, 505, 500, 502, 560, 570, 565]), FILE_THRESHOLDS)).toBeNull()
  })

  test('a baseline needs 5 runs', () => {
    expect(changePoint(series([100, 100, 100, 100, 300, 300, 300]), TEST_THRESHOLDS)).toBeNull()
  })

  test('file series leave out runs that started a worker while there are enough others', () => {
    const withCold = [...entries([100, 101, 99, 100, 102, 100, 101, 100, 99]), { seq: 10, status: 'passed' as const, durationMs: 900, startedAt: 10, attempts: 1, firstOnWorker: true }]
    expect(timedSeries(withCold, true).map((entry) => entry.seq)).not.toContain(10)
    expect(timedSeries(withCold, false).map((entry) => entry.seq)).toContain(10)
  })

  test('only regressions that reach the run in question, largest first', () => {
    const found = durationRegressions(
      [
        { fileId: 'a.test.ts', fileEntries: entries([...steady.map((d) => d * 10), 2_000, 2_100, 2_050]), tests: [{ name: 'a > t', entries: entries([...steady, 180, 175, 182]) }] },
        { fileId: 'b.test.ts', fileEntries: entries([...steady.map((d) => d * 10), 3_000, 3_000, 3_000]).slice(0, 10), tests: [] },
      ],
      11,
    )
    expect(found.map((r) => [r.file, r.test, r.sinceSeq])).toEqual([
      ['a.test.ts', null, 9],
      ['a.test.ts', 'a > t', 9],
    ])
  })
})

describe('suite stability', () => {
  test('Mann-Kendall trend and Theil-Sen slope', () => {
    expect(trendOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).z).toBeGreaterThan(3)
    expect(trendOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).slope).toBe(1)
    expect(trendOf([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]).z).toBeLessThan(-3)
    expect(Math.abs(trendOf([5, 1, 4, 2, 5, 3, 1, 4, 2, 3]).z)).toBeLessThan(1)
  })

  test('classes in words: fixed point and trendless noise are stable, a cycle periodic, a trend drifting, chaos chaotic', () => {
    const flat = Array.from({ length: 20 }, () => 1)
    expect(classify(flat, { attractor: 'fixed-point', exponent: 0, period: null }).kind).toBe('stable')
    expect(classify([5, 1, 4, 2, 5, 3, 1, 4, 2, 3, 5, 1], { attractor: 'stochastic', exponent: 0.01, period: null }).kind).toBe('stable')
    const rising = Array.from({ length: 20 }, (_, i) => 1000 + i * 50 + (i % 3) * 7)
    const drifting = classify(rising, { attractor: 'stochastic', exponent: 0.02, period: null })
    expect(drifting).toMatchObject({ kind: 'drifting', latest: rising.at(-1) })
    expect(drifting.change).toBeGreaterThan(0.5)
    expect(classify(rising, { attractor: 'limit-cycle', exponent: 0, period: 7 }).kind).toBe('periodic')
    expect(classify(rising, { attractor: 'chaotic', exponent: 0.3, period: null }).kind).toBe('chaotic')
  })

  const runsOf = (passRates: readonly number[], durations: readonly number[]): RunRecord[] =>
    passRates.map((rate, i) => ({ ...newRun({ id: `r${i}` }), seq: i + 1, status: 'passed', tests: 100, passed: Math.round(rate * 100), failed: 100 - Math.round(rate * 100), durationMs: durations[i]! }) as RunRecord)

  test('computed by the analysis pool: a steady pass rate and a suite getting slower', async () => {
    const n = 30
    const stability = await suiteStability({ runs: runsOf(Array.from({ length: n }, () => 1), Array.from({ length: n }, (_, i) => 10_000 + i * 400 + ((i * 7919) % 13) * 30)), files: () => [], testsOf: () => [] })
    expect(stability.runs).toBe(n)
    expect(stability.passRate).toMatchObject({ kind: 'stable', attractor: 'fixed-point', exponent: 0 })
    expect(stability.duration!.kind).toBe('drifting')
    expect(stability.kind).toBe('drifting')
    expect(stabilityLine(stability)).toMatch(/^drifting over 30 runs: pass rate stable, fixed-point, λ 0\.000\/run, median 100\.0%; duration drifting up \(\+\d+% over the window\), \w+, λ -?\d\.\d{3}\/run, median \d+\.\d s$/)
  })

  test('a cycle in the pass rate is periodic', async () => {
    const n = 40
    const rates = Array.from({ length: n }, (_, i) => 0.9 + 0.08 * Math.sin((2 * Math.PI * i) / 8))
    const stability = await suiteStability({ runs: runsOf(rates, Array.from({ length: n }, () => 5_000)), files: () => [], testsOf: () => [] })
    expect(stability.passRate).toMatchObject({ kind: 'periodic', attractor: 'limit-cycle' })
    expect(stability.passRate!.period).toBeCloseTo(8, 0)
  })

  test('too few runs: not classified, no workers started', async () => {
    const stability = await suiteStability({ runs: runsOf([1, 1, 0.9], [1, 2, 3]), files: () => [], testsOf: () => [] })
    expect(stability).toMatchObject({ runs: 3, needed: 10, passRate: null, duration: null, kind: null })
    expect(stabilityLine(stability)).toBe('not classified yet: 3 runs recorded, 10 needed')
  })

  test('the drivers: the tests that failed most and the files whose durations spread most', () => {
    const seqs = new Set([1, 2, 3, 4])
    const files = [
      { fileId: 'a.test.ts', project: '', path: 'a.test.ts', entries: entries([100, 900, 100, 900]).map((entry, i) => ({ ...entry, status: i % 2 ? ('failed' as const) : ('passed' as const) })) },
      { fileId: 'b.test.ts', project: '', path: 'b.test.ts', entries: entries([50, 52, 51, 50]) },
    ]
    const tests: Record<string, TestHistory[]> = { 'a.test.ts': [{ fileId: 'a.test.ts', name: 'a > flips', entries: files[0]!.entries }, { fileId: 'a.test.ts', name: 'a > fine', entries: entries([1, 1, 1, 1]) }] }
    const drivers = stabilityDrivers(seqs, files, (fileId) => tests[fileId] ?? [])
    expect(drivers.failing).toEqual([{ file: 'a.test.ts', test: 'a > flips', failedRuns: 2, runs: 4 }])
    expect(drivers.slow[0]).toMatchObject({ file: 'a.test.ts', spreadMs: 400 })
    expect(drivers.slow[0]!.share).toBeGreaterThan(0.99)
  })
})

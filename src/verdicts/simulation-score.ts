// The figures of a simulated replay against its ground truth (see simulate.ts).
import type { ProjectReplay, TestOutcome } from './simulate.js'
import type { VerdictKind } from './types.js'

/** Runs after a test's second failure at which its verdict is scored. */
export const ASSESS_AFTER = 20

const KINDS: readonly VerdictKind[] = ['flaky', 'failing', 'recovered', 'stable', 'new']

export interface KindScore {
  precision: number
  recall: number
  f1: number
  /** Cases where this kind was expected. */
  support: number
}

export interface ReplayScore {
  /** Tests with at least two failed runs and {@link ASSESS_AFTER} runs after the second. */
  eligible: number
  /** Their verdicts {@link ASSESS_AFTER} runs after the second failure, by kind. */
  assessed: Record<VerdictKind, KindScore>
  /** Every verdict after every run, by kind. */
  everyRun: Record<VerdictKind, KindScore>
  /** Regressions (and broken tests) called flaky at any run, of all that failed at least once. */
  regressionsCalledFlaky: { called: number; total: number }
  brokenCalledFlaky: { called: number; total: number }
  /** Stable tests called anything but stable or new. */
  stableMisjudged: { called: number; total: number }
  /** Runs from the second failure to the first flaky verdict (eligible flaky tests found by the assessment point). */
  flakyRunsToDetect: { median: number; p90: number; detected: number; total: number }
  /** Runs from a regression's first failing run to its first `failing` verdict. */
  failingRunsToDetect: { median: number; p90: number; detected: number; total: number }
  /** Brier score of flakyProbability at the assessment point, over the eligible tests. */
  brier: number
  /** Eligible flaky tests by flavour: found (flaky at the assessment point) of all. */
  flavours: Record<string, { found: number; total: number }>
  /** The model's own Brier score (of its resolved examples), mean over projects. */
  modelBrier: number
  /** Median and largest analyseTests time per run, ms. */
  analysisMs: { median: number; max: number }
}

function verdictAt(test: TestOutcome, run: number): { verdict: VerdictKind; flakyProbability: number; expected: VerdictKind } | undefined {
  for (let r = run; r >= 0; r--) {
    const v = test.verdicts.get(r)
    if (v) return { verdict: v.verdict, flakyProbability: v.flakyProbability, expected: test.expected.get(r)! }
  }
  return undefined
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function kindScores(pairs: Array<[VerdictKind, VerdictKind]>): Record<VerdictKind, KindScore> {
  const out = {} as Record<VerdictKind, KindScore>
  for (const kind of KINDS) {
    let tp = 0
    let fp = 0
    let fn = 0
    for (const [expected, got] of pairs) {
      if (got === kind && expected === kind) tp++
      else if (got === kind) fp++
      else if (expected === kind) fn++
    }
    const precision = tp + fp > 0 ? tp / (tp + fp) : NaN
    const recall = tp + fn > 0 ? tp / (tp + fn) : NaN
    out[kind] = { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, support: tp + fn }
  }
  return out
}

/** Scores replays together (the figures pool the projects' tests). */
export function scoreReplays(replays: readonly ProjectReplay[]): ReplayScore {
  const assessedPairs: Array<[VerdictKind, VerdictKind]> = []
  const everyPairs: Array<[VerdictKind, VerdictKind]> = []
  let brierSum = 0
  let eligible = 0
  const regressions = { called: 0, total: 0 }
  const broken = { called: 0, total: 0 }
  const stable = { called: 0, total: 0 }
  const flakyDelays: number[] = []
  let flakyTotal = 0
  const failingDelays: number[] = []
  let failingTotal = 0
  const flavours: Record<string, { found: number; total: number }> = {}
  const times: number[] = []
  for (const replay of replays) {
    times.push(...replay.analysisMs)
    const runs = replay.setup.runs
    for (const test of replay.tests) {
      for (const [r, v] of test.verdicts) everyPairs.push([test.expected.get(r)!, v.verdict])
      const everFlaky = [...test.verdicts.values()].some((v) => v.verdict === 'flaky')
      if (test.truth === 'regression' && test.failedRuns.length > 0) {
        regressions.total++
        if (everFlaky) regressions.called++
      }
      if (test.truth === 'broken' && test.failedRuns.length > 0) {
        broken.total++
        if (everFlaky) broken.called++
      }
      if (test.truth === 'stable') {
        stable.total++
        if ([...test.verdicts.values()].some((v) => v.verdict !== 'stable' && v.verdict !== 'new')) stable.called++
      }
      if (test.truth === 'regression' && test.failedRuns.length >= 2) {
        failingTotal++
        const first = test.failedRuns[0]!
        const found = [...test.verdicts].filter(([r, v]) => r >= first && v.verdict === 'failing').map(([r]) => r)
        if (found.length) failingDelays.push(Math.min(...found) - first)
      }
      if (test.failedRuns.length < 2) continue
      const second = test.failedRuns[1]!
      const at = second + ASSESS_AFTER
      if (at >= runs) continue
      const v = verdictAt(test, at)
      if (!v) continue
      eligible++
      assessedPairs.push([v.expected, v.verdict])
      const isFlaky = test.truth === 'flaky' ? 1 : 0
      brierSum += (v.flakyProbability - isFlaky) ** 2
      if (test.truth === 'flaky') {
        flakyTotal++
        const f = (flavours[test.flavour.replace(/ \d+%?$/, (m) => (m.endsWith('%') ? m : ''))] ??= { found: 0, total: 0 })
        f.total++
        if (v.verdict === 'flaky') f.found++
        const found = [...test.verdicts].filter(([r, x]) => r >= second && r <= at && x.verdict === 'flaky').map(([r]) => r)
        if (found.length && v.verdict === 'flaky') flakyDelays.push(Math.min(...found) - second)
      }
    }
  }
  const modelBriers = replays.map((r) => r.model.brier.mean)
  return {
    eligible,
    assessed: kindScores(assessedPairs),
    everyRun: kindScores(everyPairs),
    regressionsCalledFlaky: regressions,
    brokenCalledFlaky: broken,
    stableMisjudged: stable,
    flakyRunsToDetect: { median: quantile(flakyDelays, 0.5), p90: quantile(flakyDelays, 0.9), detected: flakyDelays.length, total: flakyTotal },
    failingRunsToDetect: { median: quantile(failingDelays, 0.5), p90: quantile(failingDelays, 0.9), detected: failingDelays.length, total: failingTotal },
    brier: eligible > 0 ? brierSum / eligible : NaN,
    flavours,
    modelBrier: modelBriers.reduce((a, b) => a + b, 0) / Math.max(1, modelBriers.length),
    analysisMs: { median: quantile(times, 0.5), max: Math.max(...times) },
  }
}

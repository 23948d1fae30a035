import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { _emptyMeasures, type HistoryMeasures } from '../../../src/analysis/history-signals.js'
import { PRIOR_THRESHOLDS } from '../../../src/verdicts/meta-learner.js'
import { MIN_RUNS, RECOVERED_RUNS, decide, streakLikelihood } from '../../../src/verdicts/verdict-rules.js'

const thresholds = { ...PRIOR_THRESHOLDS }

function measures(fields: Partial<HistoryMeasures>): HistoryMeasures {
  return { ..._emptyMeasures(40), ...fields }
}

describe('decide', () => {
  test('fewer than MIN_RUNS runs is new, unless the evidence is definitive', () => {
    expect(decide(measures({ runs: MIN_RUNS - 1, failures: 1, firstFailure: 1, lastFailure: 1, streak: 1 }), 0.9, thresholds).verdict).toBe('new')
    expect(decide(measures({ runs: 1, passedOnRetry: 1 }), 0.95, thresholds).verdict).toBe('flaky')
  })

  test('a streak of failures with a low flaky probability is failing, since the streak began', () => {
    const d = decide(measures({ failures: 3, streak: 3, firstFailure: 37, lastFailure: 39, preStreakB: 30, messages: 3, messageDiversity: 0 }), 0.1, thresholds)
    expect(d).toMatchObject({ verdict: 'failing', sinceIndex: 37 })
    expect(d.confidence).toBeGreaterThan(0.99)
    expect(d.reason).toBe('failed the last 3 runs with the same message; no flaky evidence among them')
  })

  test('a streak is weighed by how likely it is for a flaky test with this history', () => {
    // A test that failed every other run: two in a row is likely, so it stays flaky.
    const often = measures({ failures: 20, streak: 2, preStreakA: 10, preStreakB: 10 })
    expect(decide(often, 0.9, thresholds).verdict).toBe('flaky')
    // A test that failed 1 run in 30: two in a row is not, so the same probability gives way.
    const rarely = measures({ failures: 3, streak: 2, preStreakA: 1.5, preStreakB: 30 })
    expect(decide(rarely, 0.9, thresholds).verdict).toBe('failing')
  })

  test('a learned longer failing streak waits for more failures', () => {
    const m = measures({ failures: 2, streak: 2, preStreakB: 30 })
    expect(decide(m, 0.1, thresholds).verdict).toBe('failing')
    expect(decide(m, 0.1, { flaky: 0.5, failingStreak: 3 }).verdict).toBe('stable')
  })

  test('one failure alone is never flaky without definitive evidence', () => {
    expect(decide(measures({ failures: 1, streak: 1, firstFailure: 39, lastFailure: 39 }), 0.99, thresholds).verdict).toBe('stable')
    expect(decide(measures({ failures: 1, firstFailure: 20, lastFailure: 20 }), 0.99, thresholds).verdict).toBe('stable')
  })

  test('a failing block that ended lately without flaky evidence is recovered, then stable', () => {
    const m = measures({ failures: 5, firstFailure: 30, lastFailure: 34, lastBlock: 5, passesSince: 2, fixChanged: 1 })
    expect(decide(m, 0.05, thresholds)).toMatchObject({ verdict: 'recovered', sinceIndex: 38, reason: 'failed 5 runs in a row, passes again since 2 runs, after a change to the test or its sources' })
    expect(decide({ ...m, passesSince: RECOVERED_RUNS + 1 }, 0.05, thresholds).verdict).toBe('stable')
    expect(decide({ ...m, blockDefinitive: 1 }, 0.05, thresholds).verdict).toBe('stable')
  })

  test('a test that only passed is stable with no flaky probability', () => {
    expect(decide(measures({}), 0.3, thresholds)).toMatchObject({ verdict: 'stable', confidence: 1, flakyProbability: 0, reason: 'passed all 40 runs' })
  })

  test('every decision has a kind, and its confidence and probability lie in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.record({ runs: fc.integer({ min: 1, max: 200 }), failures: fc.integer({ min: 0, max: 200 }), streak: fc.integer({ min: 0, max: 200 }), passedOnRetry: fc.integer({ min: 0, max: 3 }), lastBlock: fc.integer({ min: 0, max: 10 }), passesSince: fc.integer({ min: 0, max: 10 }), preStreakA: fc.double({ min: 0.5, max: 100, noNaN: true }), preStreakB: fc.double({ min: 0.5, max: 100, noNaN: true }) }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (fields, pf) => {
          const d = decide(measures(fields), pf, thresholds)
          expect(['stable', 'flaky', 'failing', 'recovered', 'new']).toContain(d.verdict)
          expect(d.confidence).toBeGreaterThanOrEqual(0)
          expect(d.confidence).toBeLessThanOrEqual(1)
          expect(d.flakyProbability).toBeGreaterThanOrEqual(0)
          expect(d.flakyProbability).toBeLessThanOrEqual(1)
        },
      ),
    )
  })
})

describe('streakLikelihood', () => {
  test('is E[θ^(s-1)] under Beta(a, b): a/(a+b) for two in a row, 1 for one', () => {
    expect(streakLikelihood(1, 3, 7)).toBe(1)
    expect(streakLikelihood(2, 3, 7)).toBeCloseTo(0.3, 12)
    expect(streakLikelihood(3, 3, 7)).toBeCloseTo((3 / 10) * (4 / 11), 12)
  })

  test('falls as the streak grows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0.5, max: 50, noNaN: true }), fc.double({ min: 0.5, max: 50, noNaN: true }), (s, a, b) => {
        expect(streakLikelihood(s + 1, a, b)).toBeLessThanOrEqual(streakLikelihood(s, a, b) + 1e-12)
      }),
    )
  })
})

import { describe, expect, test } from 'vitest'
import {
  CHANGED_FACTOR,
  DURATION_EXPONENT,
  NEVER_RUN_FACTOR,
  RELATED_FACTOR,
  assumedDurationMs,
  failureProbability,
  pessimisticDurationMs,
  priorProbability,
  suiteModel,
} from '../../../src/scheduling/failure-model.js'
import { NO_EVIDENCE } from '../../../src/scheduling/file-evidence.js'
import { FAIL, PASS, evidenceOf, passes } from './_planner.js'

describe('suiteModel', () => {
  test('without history: the 1% prior and a 1 ms median', () => {
    expect(suiteModel([])).toEqual({ failureRate: 0.01, medianMs: 1 })
  })

  test('pools every file: 3 failures in 100 runs, blended with 50 pseudo-runs at 1%', () => {
    const files = [evidenceOf(...passes(48, 100), FAIL(100), FAIL(100)), evidenceOf(...passes(49, 300), FAIL(300)), evidenceOf(...passes(10, 200))]
    const model = suiteModel(files)
    expect(model.failureRate).toBeCloseTo((3 + 0.5) / (110 + 50), 12)
    expect(model.medianMs).toBe(200)
  })
})

describe('failureProbability', () => {
  const suite = { failureRate: 0.02, medianMs: 100 }

  test('the prior grows with duration to the power DURATION_EXPONENT', () => {
    expect(priorProbability(100, suite)).toBeCloseTo(0.02, 12)
    expect(priorProbability(1_000, suite)).toBeCloseTo(0.02 * 10 ** DURATION_EXPONENT, 12)
    expect(priorProbability(1e12, suite)).toBe(0.95)
  })

  test('a file never run: the prior at the suite median, times NEVER_RUN_FACTOR', () => {
    expect(failureProbability(NO_EVIDENCE, null, suite)).toBeCloseTo(0.02 * NEVER_RUN_FACTOR, 12)
  })

  test('a long clean record lowers the estimate below the prior; a young one barely', () => {
    const proven = failureProbability(evidenceOf(...passes(95, 100)), null, suite)
    const young = failureProbability(evidenceOf(...passes(2, 100)), null, suite)
    expect(proven).toBeCloseTo((5 * 0.02) / 100, 12)
    expect(young).toBeCloseTo((5 * 0.02) / 7, 12)
    expect(young).toBeGreaterThan(proven)
  })

  test('a failure in the last run: the recency score wins over the long-run rate', () => {
    const evidence = evidenceOf(...passes(30, 100), FAIL(100))
    expect(failureProbability(evidence, null, suite)).toBeCloseTo(evidence.failureScore, 12)
    expect(evidence.failureScore).toBeGreaterThan(0.19)
  })

  test('changed and related files are raised by their factors, capped at 0.95', () => {
    const evidence = evidenceOf(...passes(10, 100))
    const base = failureProbability(evidence, null, suite)
    expect(failureProbability(evidence, 'changed', suite)).toBeCloseTo(base * CHANGED_FACTOR, 12)
    expect(failureProbability(evidence, 'related', suite)).toBeCloseTo(base * RELATED_FACTOR, 12)
    expect(failureProbability(evidenceOf(FAIL(1)), 'changed', suite)).toBe(0.95)
  })

  test('durations: prediction, else the suite median; p90 for deadlines; never below 1 ms', () => {
    expect(assumedDurationMs(evidenceOf(PASS(40)), suite)).toBe(40)
    expect(assumedDurationMs(NO_EVIDENCE, suite)).toBe(100)
    expect(assumedDurationMs(evidenceOf(PASS(0)), suite)).toBe(1)
    expect(pessimisticDurationMs(evidenceOf(PASS(10), PASS(10), PASS(100)), suite)).toBeCloseTo(82, 12)
  })
})

import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { PRIOR_WEIGHTS, SIGNALS, SIGNAL_INDEX, calibrated, describeModel, initialModel, learn, loadModel, rawProbability, weightVector, type Example } from '../../../src/verdicts/meta-learner.js'
import type { ModelState, SignalName } from '../../../src/verdicts/types.js'
import { seeded } from '../analysis/_series.js'

/** Examples whose label follows `signal` (y = 1 exactly when it reads high), the rest noise. */
function stream(signal: SignalName, count: number, seed: number): Example[] {
  const random = seeded(seed)
  return Array.from({ length: count }, () => {
    const x = Float64Array.from(SIGNALS, () => (random() < 0.1 ? 0.3 * random() : 0))
    const high = random() < 0.5
    x[SIGNAL_INDEX.get(signal)!] = high ? 0.6 + 0.4 * random() : 0.2 * random()
    return { x, y: high ? 1 : 0, streak: 1, streakLikelihood: 1 }
  })
}

function run(model: ModelState, examples: Example[], perAnalysis: number): ModelState {
  for (let i = 0; i < examples.length; i += perAnalysis) learn(model, examples.slice(i, i + perAnalysis), i)
  return model
}

describe('the meta-learner', () => {
  test('starts from the documented priors', () => {
    const model = initialModel()
    expect(model.weights).toEqual(PRIOR_WEIGHTS)
    expect(model.thresholds).toEqual({ flaky: 0.5, failingStreak: 2 })
    expect(describeModel(model)).toMatchObject({ brier: 0, runs: 0, examples: 0, signals: SIGNALS.map((signal) => ({ signal, weight: PRIOR_WEIGHTS[signal] })) })
    expect(describeModel(model).calibration).toHaveLength(10)
  })

  test("learns a predictive signal's weight up from a low prior", () => {
    const model = run(initialModel(), stream('durationInstability', 2_000, 1), 20)
    expect(model.weights.durationInstability).toBeGreaterThan(PRIOR_WEIGHTS.durationInstability + 1.5)
    // Its step size grew while its updates kept agreeing (IDBD).
    expect(Math.exp(model.logSteps.durationInstability!)).toBeGreaterThan(0.02)
  })

  test('the Brier score falls on a stationary stream', () => {
    const model = run(initialModel(), stream('nearTimeout', 3_000, 2), 30)
    const history = model.brier.history.map((p) => p.brier)
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(history.slice(-10))).toBeLessThan(mean(history.slice(0, 10)) / 2)
    expect(model.brier.mean).toBeLessThan(0.05)
  })

  test("calibration moves a decile's predictions towards what it observed", () => {
    const model = initialModel()
    // Failures with no reading: the prior says 27% flaky; here every one turned out flaky.
    const x = new Float64Array(SIGNALS.length)
    const before = calibrated(model, rawProbability(model, weightVector(model), x))
    learn(model, Array.from({ length: 60 }, () => ({ x, y: 1 as const, streak: 1, streakLikelihood: 1 })), 1)
    const raw = rawProbability(model, weightVector(model), x)
    expect(calibrated(model, raw)).toBeGreaterThan(raw + 0.2)
    expect(calibrated(model, raw)).toBeGreaterThan(before + 0.4)
    const bin = describeModel(model).calibration.find((b) => b.count > 0)!
    expect(bin.observed).toBe(1)
  })

  test('is deterministic and its state round-trips through JSON', () => {
    const examples = stream('period', 300, 3)
    const a = run(initialModel(), examples, 25)
    const b = run(initialModel(), examples, 25)
    expect(a).toEqual(b)
    const copy = loadModel(JSON.parse(JSON.stringify(a)))
    expect(copy).toEqual(a)
    const more = stream('period', 50, 4)
    expect(learn(copy, more, 999)).toEqual(learn(a, more, 999))
  })

  test('a state from before a signal existed gets that weight from its prior; other versions are refused', () => {
    const old = JSON.parse(JSON.stringify(initialModel())) as ModelState
    delete old.weights.cluster
    old.weights.flipRate = 3
    const loaded = loadModel(old)
    expect(loaded.weights.cluster).toBe(PRIOR_WEIGHTS.cluster)
    expect(loaded.weights.flipRate).toBe(3)
    expect(() => loadModel({ ...old, version: 2 })).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
    expect(() => loadModel('model')).toThrow('model must be an object')
  })

  test('the flaky threshold comes down when confident calls held up, not below 0.4', () => {
    const model = initialModel()
    // Examples the model is sure of (definitive readings) that turn out real a third of the time.
    const x = Float64Array.from(SIGNALS, (s) => (s === 'passedOnRetry' ? 1 : 0))
    const examples: Example[] = Array.from({ length: 200 }, (_, i) => ({ x, y: i % 3 === 0 ? 0 : 1, streak: 1, streakLikelihood: 1 }))
    learn(model, examples, 1)
    expect(model.thresholds.flaky).toBe(0.5)
    expect(model.weights.passedOnRetry).toBeLessThan(PRIOR_WEIGHTS.passedOnRetry)
    // Calls that held up bring it down.
    learn(model, examples.map((e) => ({ ...e, y: 1 as const })).concat(examples.map((e) => ({ ...e, y: 1 as const }))).concat(examples.map((e) => ({ ...e, y: 1 as const }))), 2)
    expect(model.thresholds.flaky).toBe(0.4)
  })

  test('the failing streak grows when failing calls after two failures turned out flaky', () => {
    const model = initialModel()
    const x = new Float64Array(SIGNALS.length)
    const examples: Example[] = Array.from({ length: 40 }, (_, i) => ({ x, y: i % 2 === 0 ? 1 : 0, streak: 2, streakLikelihood: 0.05 }))
    learn(model, examples, 1)
    expect(model.thresholds.failingStreak).toBe(4)
    const held = initialModel()
    learn(held, examples.map((e) => ({ ...e, y: 0 as const })), 1)
    expect(held.thresholds.failingStreak).toBe(2)
  })

  test('probabilities stay in [0, 1] and weights finite whatever the examples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: SIGNALS.length, maxLength: SIGNALS.length }), y: fc.constantFrom(0 as const, 1 as const) }), { maxLength: 60 }),
        (raw) => {
          const model = initialModel()
          learn(model, raw.map((e) => ({ x: Float64Array.from(e.x), y: e.y, streak: 1, streakLikelihood: 1 })), 1)
          const weights = weightVector(model)
          for (const w of weights) expect(Number.isFinite(w)).toBe(true)
          for (const e of raw) {
            const p = calibrated(model, rawProbability(model, weights, e.x))
            expect(p).toBeGreaterThanOrEqual(0)
            expect(p).toBeLessThanOrEqual(1)
          }
        },
      ),
      { numRuns: 50 },
    )
  })
})

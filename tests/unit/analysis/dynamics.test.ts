import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { classifyAttractor, dominantPeriod, lyapunov, type AttractorReport, type LyapunovResult } from '../../../src/analysis/index.js'
import { ErrorCodes } from '../../../src/errors.js'
import { classifyAttractorReference, dominantPeriodReference, lyapunovReference } from './reference.js'
import { autoregressive, decay, gaussian, logisticMap, seeded, sineWave, uniformNoise } from './_series.js'

// The kernels sum logarithms through a mantissa product and autocorrelations in SIMD lanes, so
// they agree with the reference to rounding, not to the bit.
const CLOSE = 1e-9

function near(actual: number, expected: number, tolerance = CLOSE): void {
  if (Number.isNaN(expected)) expect(actual).toBeNaN()
  else expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)))
}

const series = fc.oneof(
  fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 120 }),
  // Integers repeat exactly: equal distances and exact autocorrelation ties.
  fc.array(fc.integer({ min: -2, max: 2 }), { maxLength: 120 }),
  // Wide magnitudes send squared distances outside the product range of the log sum.
  fc.array(fc.double({ min: -1e20, max: 1e20, noNaN: true }), { minLength: 10, maxLength: 60 }),
  fc.tuple(fc.integer({ min: 3, max: 30 }), fc.integer({ min: 30, max: 150 })).map(([period, length]) => sineWave(length, period)),
)

function expectLyapunovLike(got: LyapunovResult, want: ReturnType<typeof lyapunovReference>): void {
  expect({ dimension: got.dimension, delay: got.delay, theiler: got.theiler, steps: got.steps, fit: got.fit, pairs: got.pairs }).toEqual({
    dimension: want.dimension,
    delay: want.delay,
    theiler: want.theiler,
    steps: want.steps,
    fit: want.fit,
    pairs: want.pairs,
  })
  near(got.exponent, want.exponent, 1e-7)
  near(got.predictionError, want.predictionError)
  expect(got.divergence).toHaveLength(want.divergence.length)
  got.divergence.forEach((v, k) => near(v, want.divergence[k]!))
}

describe('lyapunov', () => {
  test('equals the reference on random series with default parameters', () => {
    fc.assert(fc.property(series, (x) => expectLyapunovLike(lyapunov(x), lyapunovReference(x))), { numRuns: 300 })
  })

  test('equals the reference with explicit parameters', () => {
    const options = fc.record(
      {
        dimension: fc.integer({ min: 1, max: 5 }),
        delay: fc.integer({ min: 1, max: 4 }),
        theiler: fc.integer({ min: 0, max: 10 }),
        steps: fc.integer({ min: 1, max: 12 }),
        fit: fc.integer({ min: 2, max: 12 }),
      },
      { requiredKeys: [] },
    )
    fc.assert(fc.property(series, options, (x, o) => expectLyapunovLike(lyapunov(x, o), lyapunovReference(x, o))), { numRuns: 300 })
  })

  test('agrees with the reference when the divergence curve lands exactly on its halfway mark', () => {
    // Found by fast-check: step 2 sits exactly halfway between start and peak, so the fit
    // length hung on the last bit of a sum of logarithms.
    const x = [0, 0, 0, 0, 0, 0, -1.002746575062002e-72, -9.369777208064758e-265, -5.468347592608398e-149, 7.946710445269818e-151, -6.019870701187144e-65, -2.222836298548575e-120, -1.356119184066871e-252, -6.502510034834924e-117, -1.3509056450671026e-48, 2.0737107952049364e-254, 1.2654717145697235e-306, 52.15668244327193, 5.8183561496831934e-49, -6.800203358873298e-306]
    const options = { dimension: 5, theiler: 9, steps: 6 }
    expectLyapunovLike(lyapunov(x, options), lyapunovReference(x, options))
  })

  test('gives exponent 0 where there is no evidence: no pairs, or no separation to follow', () => {
    for (const x of [[], [1], [1, 2, 3]]) expect(lyapunov(x)).toMatchObject({ exponent: 0, pairs: 0 })
    const constant = lyapunov(new Array(50).fill(4))
    expect(constant.exponent).toBe(0)
    expect(constant.pairs).toBeGreaterThan(0)
    expect(Array.from(constant.divergence).every(Number.isNaN)).toBe(true)
  })

  test('finds ln 2 for the logistic map at r = 4, from several starting points', () => {
    const random = seeded(11)
    for (let run = 0; run < 5; run++) {
      const result = lyapunov(logisticMap(1_000, 0.05 + 0.9 * random()))
      expect(Math.abs(result.exponent - Math.LN2)).toBeLessThan(0.1)
      expect(result.delay).toBe(1)
    }
  })

  test('finds about 0 for a sine wave, whose neighbours never separate', () => {
    expect(Math.abs(lyapunov(sineWave(1_000, 20)).exponent)).toBeLessThan(0.01)
    expect(Math.abs(lyapunov(sineWave(1_000, 17.3)).exponent)).toBeLessThan(0.05)
  })

  test('picks the delay where the autocorrelation falls to 1/e', () => {
    // r(k) = cos(2πk/40) first drops below 1/e at k = 8 (cos(2π·8/40) ≈ 0.31).
    expect(lyapunov(sineWave(800, 40)).delay).toBe(8)
  })

  test('handles a long series (5,000 points) like the reference', () => {
    const x = logisticMap(5_000, 0.123)
    expectLyapunovLike(lyapunov(x), lyapunovReference(x))
  })

  test('rejects NaN, Infinity and bad options with the input code', () => {
    expect(() => lyapunov([1, 2, NaN])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('series[2] is NaN') }))
    expect(() => lyapunov([Infinity])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
    expect(() => lyapunov([1, 2], { dimension: 0 })).toThrow('options.dimension must be an integer >= 1 (got 0)')
    expect(() => lyapunov([1, 2], { fit: 1 })).toThrow('options.fit must be an integer >= 2 (got 1)')
    expect(() => lyapunov([1, 2], null as unknown as object)).toThrow('options must be an object (got null)')
  })
})

describe('dominantPeriod', () => {
  test('equals the reference on random series', () => {
    fc.assert(
      fc.property(series, (x) => {
        const got = dominantPeriod(x)
        const want = dominantPeriodReference(x)
        if (want.period === null) expect(got.period).toBeNull()
        else near(got.period!, want.period)
        near(got.strength, want.strength)
      }),
      { numRuns: 400 },
    )
  })

  test('finds integer and fractional periods of a sine wave', () => {
    expect(Math.abs(dominantPeriod(sineWave(1_000, 20)).period! - 20)).toBeLessThan(0.1)
    expect(Math.abs(dominantPeriod(sineWave(1_000, 12.5)).period! - 12.5)).toBeLessThan(0.3)
    expect(dominantPeriod(sineWave(1_000, 20)).strength).toBeGreaterThan(0.9)
  })

  test('finds a test that fails every third run', () => {
    const outcomes = Array.from({ length: 60 }, (_, i) => (i % 3 === 2 ? 1 : 0))
    expect(dominantPeriod(outcomes).period).toBe(3)
  })

  test('finds no period in noise, constant or short series', () => {
    expect(dominantPeriod(uniformNoise(1_000, 5)).period).toBeNull()
    expect(dominantPeriod(new Array(100).fill(3))).toEqual({ period: null, strength: 0 })
    expect(dominantPeriod([])).toEqual({ period: null, strength: 0 })
    expect(dominantPeriod([1])).toEqual({ period: null, strength: 0 })
  })
})

describe('classifyAttractor', () => {
  test('equals the reference on random series', () => {
    fc.assert(
      fc.property(series, (x) => {
        const got: AttractorReport = classifyAttractor(x)
        const want = classifyAttractorReference(x)
        expect(got.kind).toBe(want.kind)
        expect(got.period === null).toBe(want.period === null)
        for (const key of ['exponent', 'periodStrength', 'autocorrelation', 'variance', 'settledRatio', 'determinism'] as const) near(got[key], want[key], 1e-7)
      }),
      { numRuns: 300 },
    )
  })

  test('agrees with the reference where a period strength sits exactly on 0.5', () => {
    // Found by fast-check: two periods of 27 samples give r(27) = 27/54 up to rounding.
    const x = sineWave(54, 27)
    const got = classifyAttractor(x)
    expect(got.kind).toBe(classifyAttractorReference(x).kind)
    near(got.periodStrength, 0.5)
  })

  test('calls the logistic map at r = 4 chaotic', () => {
    const report = classifyAttractor(logisticMap(1_000, 0.3141))
    expect(report.kind).toBe('chaotic')
    expect(Math.abs(report.exponent - Math.LN2)).toBeLessThan(0.1)
    expect(report.determinism).toBeGreaterThan(0.9)
  })

  test('calls a sine wave a limit cycle with its period, also with a little noise', () => {
    const clean = classifyAttractor(sineWave(1_000, 25, 40, 200))
    expect(clean.kind).toBe('limit-cycle')
    expect(Math.abs(clean.period! - 25)).toBeLessThan(0.1)
    const noise = uniformNoise(1_000, 3, 0, 20)
    const noisy = classifyAttractor(sineWave(1_000, 25, 40, 200).map((v, i) => v + noise[i]!))
    expect(noisy.kind).toBe('limit-cycle')
    expect(Math.abs(noisy.period! - 25)).toBeLessThan(0.5)
  })

  test('calls decaying series fixed points', () => {
    expect(classifyAttractor(decay(1_000, 50, 120, 900)).kind).toBe('fixed-point')
    const damped = Array.from({ length: 1_000 }, (_, i) => Math.exp(-i / 80) * Math.sin(i / 3))
    expect(classifyAttractor(damped).kind).toBe('fixed-point')
  })

  test('calls independent and autocorrelated noise stochastic', () => {
    expect(classifyAttractor(uniformNoise(1_000, 9, 100, 10)).kind).toBe('stochastic')
    const normal = gaussian(seeded(21))
    expect(classifyAttractor(Array.from({ length: 1_000 }, () => 100 + 5 * normal())).kind).toBe('stochastic')
    // Noise with memory looks smooth but its neighbours' futures are as random as its own.
    expect(classifyAttractor(autoregressive(1_000, 0.9, 4)).kind).toBe('stochastic')
  })

  test('has defined results for empty, length-1 and constant series', () => {
    const settled = { kind: 'fixed-point', exponent: 0, period: null, periodStrength: 0, autocorrelation: 0, settledRatio: 0, determinism: 1 }
    expect(classifyAttractor([])).toEqual({ ...settled, variance: 0 })
    expect(classifyAttractor([5])).toEqual({ ...settled, variance: 0 })
    expect(classifyAttractor(new Array(30).fill(7))).toEqual({ ...settled, variance: 0 })
  })

  test('rejects NaN and Infinity with the input code', () => {
    expect(() => classifyAttractor([1, -Infinity])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
  })
})

import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { AnalysisPool, failureEdges, measureHistories, type PackedHistories } from '../../../src/analysis/index.js'
import { hypergeometricUpperLog10, incompleteBeta, lnGamma } from '../../../src/analysis/statistics.js'
import { ErrorCodes } from '../../../src/errors.js'
import { packCases } from '../../../src/verdicts/pack.js'
import type { TestCase } from '../../../src/verdicts/types.js'
import { seeded } from './_series.js'

/** Random histories with every kind of reading: failures, retries, re-runs, messages, orders, timeouts. */
function randomCases(count: number, seed: number): TestCase[] {
  const random = seeded(seed)
  const files = Array.from({ length: 30 }, (_, f) => `tests/f${f}.test.ts`)
  return Array.from({ length: count }, (_, k) => {
    const rate = k % 4 === 0 ? 0 : random() * 0.5
    const length = 1 + Math.floor(random() * 220)
    return {
      fileId: files[k % files.length]!,
      name: `t${k}`,
      observations: Array.from({ length }, (_, i) => {
        const failed = random() < rate
        const retried = !failed && random() < rate / 3
        return {
          seq: i + 1,
          status: failed ? ('failed' as const) : ('passed' as const),
          attempts: retried || (failed && random() < 0.3) ? 2 : 1,
          durationMs: 50 + 4000 * random() * random(),
          startedAt: 1.75e12 + i * 3.1e6 * (1 + random()),
          codeState: random() < 0.1 ? null : `c${Math.floor(i * 0.8)}`,
          message: failed || retried ? ['Exceeded timeout of 5000 ms', `expected ${i} to be 1`, 'ECONNRESET'][Math.floor(random() * 3)]! : null,
          timeoutMs: random() < 0.8 ? 5000 : null,
          before: random() < 0.7 ? files.filter(() => random() < 0.3) : [],
          changed: random() < 0.1,
        }
      }),
    }
  })
}

function pack(cases: TestCase[]): PackedHistories {
  return packCases(cases).histories
}

describe('history signals in the pool', () => {
  test('the pool measures exactly what this thread measures, and finds the same edges', async () => {
    const cases = randomCases(300, 5)
    const histories = pack(cases)
    const grid = { offsets: Int32Array.of(0, 3, 6, 8, 10), positions: Int32Array.of(1, 5, 9, 1, 5, 9, 2, 6, 20, 30), length: 40 }
    const pool = new AnalysisPool({ threads: 2 })
    try {
      const { measures, edges } = await pool.measureHistories(histories, { clusters: grid })
      expect(measures).toEqual(measureHistories(histories))
      expect(edges).toEqual(failureEdges(grid))
      expect(edges[0]).toEqual({ a: 0, b: 1, similarity: 1, together: 3 })
      // Columns that are not on shared memory are copied there once.
      const plain = { ...histories, durations: Float64Array.from(histories.durations) }
      expect((await pool.measureHistories(plain)).measures).toEqual(measures)
      expect(await pool.measureHistories(pack([]))).toEqual({ measures: [], edges: [] })
    } finally {
      await pool.close()
    }
  })

  test('bad columns reject with the input code', async () => {
    const histories = pack(randomCases(3, 1))
    const pool = new AnalysisPool({ threads: 1 })
    try {
      await expect(pool.measureHistories({ ...histories, durations: new Float64Array(1) })).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('histories.durations must hold one value per observation') })
      await expect(pool.measureHistories({ ...histories, ends: histories.ends.map((end, k) => (k === 2 ? 99_999 : end)) })).rejects.toThrow('histories[2] spans')
      await expect(pool.measureHistories(histories, { clusters: { offsets: Int32Array.of(0, 1), positions: Int32Array.of(9), length: 5 } })).rejects.toThrow('clusters.positions[0] is 9; it must lie in [0, 5)')
    } finally {
      await pool.close()
    }
  })

  test('measures stay in their ranges on random histories', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (seed) => {
        const cases = randomCases(6, seed)
        measureHistories(pack(cases)).forEach((m, k) => {
          expect(m.runs).toBe(cases[k]!.observations.length)
          expect(m.failures).toBe(cases[k]!.observations.filter((o) => o.status === 'failed').length)
          for (const share of [m.flipRate, m.failureShare, m.entropy, m.intermittent, m.unchangedShare, m.nearTimeoutShare]) {
            expect(share).toBeGreaterThanOrEqual(0)
            expect(share).toBeLessThanOrEqual(1 + 1e-12)
          }
          expect(m.streak).toBeLessThanOrEqual(m.failures)
          expect(m.hourLog10P).toBeLessThanOrEqual(0)
          expect(m.orderLog10P).toBeLessThanOrEqual(0)
          if (m.orderFile >= 0) expect(m.orderWithoutFailed).toBe(0)
          if (Number.isFinite(m.stepNovelty)) expect(m.stepNovelty).toBeLessThanOrEqual(1)
        })
      }),
      { numRuns: 30 },
    )
  })
})

describe('statistics', () => {
  const choose = (n: number, k: number): number => {
    let c = 1
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
    return c
  }

  test('the hypergeometric tail equals the sum of its terms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.nat(), fc.nat(), fc.nat(), (population, a, b, c) => {
        const successes = a % (population + 1)
        const draws = b % (population + 1)
        const k = c % (Math.min(successes, draws) + 1)
        let exact = 0
        for (let i = k; i <= Math.min(successes, draws); i++) exact += (choose(successes, i) * choose(population - successes, draws - i)) / choose(population, draws)
        expect(10 ** hypergeometricUpperLog10(population, successes, draws, k)).toBeCloseTo(Math.min(1, exact), 9)
      }),
    )
  })

  test('the incomplete Beta function is the Beta CDF', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 40, noNaN: true }), fc.double({ min: 1, max: 40, noNaN: true }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (a, b, x) => {
        // Midpoint rule on the density (bounded for a, b >= 1).
        const steps = 20_000
        const lnB = lnGamma(a) + lnGamma(b) - lnGamma(a + b)
        let sum = 0
        for (let i = 0; i < steps; i++) {
          const t = ((i + 0.5) / steps) * x
          sum += Math.exp((a - 1) * Math.log(t) + (b - 1) * Math.log(1 - t) - lnB)
        }
        expect(incompleteBeta(x, a, b)).toBeCloseTo((sum * x) / steps, 4)
      }),
      { numRuns: 40 },
    )
    // Jeffreys' Beta(1/2, 1/2) has the arcsine CDF.
    for (const x of [0.001, 0.2, 0.5, 0.9, 0.999]) expect(incompleteBeta(x, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(x)), 10)
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12)
    expect(lnGamma(10)).toBeCloseTo(Math.log(362_880), 10)
  })
})

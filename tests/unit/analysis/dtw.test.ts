import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { dtw, dtwMany, findSimilar } from '../../../src/analysis/index.js'
import { ErrorCodes } from '../../../src/errors.js'
import { dtwReference, findSimilarReference } from './reference.js'
import { seeded } from './_series.js'

const value = fc.double({ min: -1e6, max: 1e6, noNaN: true })
// Small integers make ties and exact repeats common, which is where tie rules show.
const series = fc.oneof(fc.array(value, { maxLength: 40 }), fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 40 }))
const window = fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined })

function randomSeries(length: number, seed: number): Float64Array {
  const random = seeded(seed)
  return Float64Array.from({ length }, () => random() * 100)
}

describe('dtw', () => {
  test('equals the reference on random series, with and without a band', () => {
    fc.assert(
      fc.property(series, series, window, (a, b, w) => {
        expect(dtw(a, b, { window: w })).toBe(dtwReference(a, b, { window: w }))
      }),
      { numRuns: 400 },
    )
  })

  test('abandoning returns the exact distance up to the limit and Infinity beyond it', () => {
    fc.assert(
      fc.property(series, series, window, fc.double({ min: 0, max: 1e7, noNaN: true }), (a, b, w, limit) => {
        const full = dtwReference(a, b, { window: w })
        expect(dtw(a, b, { window: w, abandonAbove: limit })).toBe(full > limit ? Infinity : full)
      }),
      { numRuns: 300 },
    )
  })

  test('has defined results for empty and length-1 series', () => {
    expect(dtw([], [])).toBe(0)
    expect(dtw([], [1, 2])).toBe(Infinity)
    expect(dtw([3], [])).toBe(Infinity)
    expect(dtw([3], [1, 2, 6])).toBe(2 + 1 + 3)
    expect(dtw([1, 2, 3], [1, 1, 2, 3])).toBe(0)
  })

  test('widens a band narrower than the length difference so a path exists', () => {
    expect(dtw([0, 0, 0, 0, 0, 0], [1, 1], { window: 0 })).toBe(6)
  })

  test('accepts typed arrays', () => {
    expect(dtw(new Float32Array([1, 2]), new Int16Array([1, 3]))).toBe(1)
  })

  test('rejects NaN and Infinity with the input code, naming the index', () => {
    expect(() => dtw([1, NaN], [1])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('a[1] is NaN') }))
    expect(() => dtw([1], [2, 3, -Infinity])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('b[2] is -Infinity') }))
  })

  test('rejects bad options and non-numeric input with messages that name them', () => {
    expect(() => dtw([1], [1], { window: -1 })).toThrow('options.window must be a non-negative integer or Infinity (got -1)')
    expect(() => dtw([1], [1], { window: 1.5 })).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
    expect(() => dtw([1], [1], { abandonAbove: NaN })).toThrow('options.abandonAbove must be a number (got NaN)')
    expect(() => dtw(['1'] as unknown as number[], [1])).toThrow('a[0] is string; series must hold numbers')
    expect(() => dtw('12' as unknown as number[], [1])).toThrow('a must be an array or typed array of numbers')
  })

  test('handles long series (4,000 × 4,000 cells) and agrees with the reference', () => {
    const a = randomSeries(4_000, 1)
    const b = randomSeries(4_000, 2)
    expect(dtw(a, b)).toBe(dtwReference(a, b))
    expect(dtw(a, b, { window: 40 })).toBe(dtwReference(a, b, { window: 40 }))
  })
})

describe('dtwMany', () => {
  test('equals the reference per series, including runs of four equal lengths and odd ones out', () => {
    const lengths = fc.oneof(fc.constant(7), fc.integer({ min: 0, max: 12 }))
    const batch = fc.array(lengths.chain((n) => fc.array(value, { minLength: n, maxLength: n })), { maxLength: 14 })
    fc.assert(
      fc.property(series, batch, window, fc.option(fc.double({ min: 0, max: 5e6, noNaN: true }), { nil: undefined }), (q, many, w, limit) => {
        const got = dtwMany(q, many, { window: w, abandonAbove: limit })
        expect(Array.from(got)).toEqual(many.map((s) => dtwReference(q, s, { window: w, abandonAbove: limit })))
      }),
      { numRuns: 300 },
    )
  })

  test('computes 1,000 series of length 128 like the reference', () => {
    const query = randomSeries(128, 3)
    const many = Array.from({ length: 1_000 }, (_, k) => randomSeries(128, 100 + k))
    const got = dtwMany(query, many, { window: 12 })
    expect(got).toHaveLength(1_000)
    many.forEach((s, k) => expect(got[k]).toBe(dtwReference(query, s, { window: 12 })))
  })

  test('returns an empty result for no series and names the bad series', () => {
    expect(dtwMany([1, 2], [])).toEqual(new Float64Array(0))
    expect(() => dtwMany([1], [[1], [2, Infinity]])).toThrow('series[1][1] is Infinity')
    expect(() => dtwMany([1], 'x' as unknown as number[][])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
  })
})

describe('findSimilar', () => {
  test('equals the reference on random inputs', () => {
    fc.assert(
      fc.property(series, series, window, fc.integer({ min: 0, max: 6 }), (pattern, s, w, limit) => {
        expect(findSimilar(pattern, s, { window: w, limit })).toEqual(findSimilarReference(pattern, s, { window: w, limit }))
      }),
      { numRuns: 400 },
    )
  })

  test('finds an embedded shape first, as a sorted list of non-overlapping windows', () => {
    const s = [5, 5, 5, 0, 10, 0, 5, 5, 0, 9, 1, 5, 5]
    const matches = findSimilar([0, 10, 0], s, { limit: 2 })
    expect(matches[0]).toEqual({ start: 3, end: 6, distance: 0 })
    expect(matches[1]).toEqual({ start: 8, end: 11, distance: 2 })
  })

  test('gives [] for an empty pattern or series, and 5 matches at most by default', () => {
    expect(findSimilar([], [1, 2])).toEqual([])
    expect(findSimilar([1], [])).toEqual([])
    expect(findSimilar([1], [1, 2, 3, 4, 5, 6, 7, 8])).toHaveLength(5)
    expect(() => findSimilar([NaN], [1])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
  })

  test('scans a long series (a 50-point pattern in 20,000 points) like the reference', () => {
    const s = randomSeries(20_000, 4)
    const pattern = s.slice(12_345, 12_395)
    const matches = findSimilar(pattern, s, { limit: 3 })
    expect(matches[0]).toEqual({ start: 12_345, end: 12_395, distance: 0 })
    expect(matches).toEqual(findSimilarReference(pattern, s, { limit: 3 }))
  })
})

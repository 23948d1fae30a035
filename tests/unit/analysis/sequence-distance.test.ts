import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { editDistance, lcsLength } from '../../../src/analysis/index.js'
import { ErrorCodes } from '../../../src/errors.js'
import { editDistanceReference, lcsReference } from './reference.js'
import { seeded } from './_series.js'

// A small alphabet (like outcome codes) gives long common subsequences; a wide one tests i32.
const codes = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 60 }),
  fc.array(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), { maxLength: 30 }),
)

function outcomes(length: number, seed: number): Int32Array {
  const random = seeded(seed)
  return Int32Array.from({ length }, () => (random() < 0.2 ? 1 : 0))
}

describe('lcsLength and editDistance', () => {
  test('equal the reference on random sequences, arrays or Int32Arrays', () => {
    fc.assert(
      fc.property(codes, codes, fc.boolean(), (a, b, typed) => {
        const x = typed ? Int32Array.from(a) : a
        expect(lcsLength(x, b)).toBe(lcsReference(a, b))
        expect(editDistance(x, b)).toBe(editDistanceReference(a, b))
      }),
      { numRuns: 500 },
    )
  })

  test('have defined results for empty and length-1 sequences', () => {
    expect(lcsLength([], [])).toBe(0)
    expect(lcsLength([], [1, 2])).toBe(0)
    expect(lcsLength([2], [1, 2])).toBe(1)
    expect(editDistance([], [])).toBe(0)
    expect(editDistance([], [1, 2, 3])).toBe(3)
    expect(editDistance([7], [])).toBe(1)
    expect(editDistance([7], [7])).toBe(0)
  })

  test('match the worked examples', () => {
    expect(lcsLength([0, 1, 0, 1], [1, 0, 1])).toBe(3)
    expect(editDistance([0, 0, 1], [0, 1, 1])).toBe(1)
    expect(editDistance([1, 2, 3, 4], [2, 3, 4, 5])).toBe(2)
  })

  test('handle long sequences (3,000 × 3,000) like the reference', () => {
    const a = outcomes(3_000, 1)
    const b = outcomes(3_000, 2)
    expect(lcsLength(a, b)).toBe(lcsReference(a, b))
    expect(editDistance(a, b)).toBe(editDistanceReference(a, b))
  })

  test('reject non-integers, NaN and out-of-range codes with the input code', () => {
    expect(() => lcsLength([1, 1.5], [1])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('a[1] is 1.5') }))
    expect(() => editDistance([1], [NaN])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT, message: expect.stringContaining('b[0] is NaN') }))
    expect(() => editDistance([2 ** 31], [1])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
    expect(() => lcsLength(new Float64Array([Infinity]), [1])).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_INPUT }))
    expect(() => lcsLength(null as unknown as number[], [1])).toThrow('a must be an array or typed array of numbers')
  })
})

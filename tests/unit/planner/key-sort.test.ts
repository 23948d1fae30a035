import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { breakTies, sortByKeyDescending } from '../../../src/scheduling/key-sort.js'

/** The reference: a stable comparator sort, descending. */
function reference(members: readonly number[], keys: Float64Array): number[] {
  return members.slice().sort((a, b) => keys[b]! - keys[a]!)
}

// Keys that are equal, equal after rounding to float32, or far apart, in lists long enough for the radix path.
const nearKeys = fc
  .array(
    fc.oneof(
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.integer({ min: 0, max: 5 }).map((k) => 1000 * (1 + k * Number.EPSILON)),
      fc.integer({ min: 0, max: 5 }).map((k) => 0.001 * (1 + k * 1e-9)),
      fc.constantFrom(0, -0, 1e-310, 1e300, 3.5e38),
    ),
    { minLength: 64, maxLength: 400 },
  )
  .map((values) => Float64Array.from(values))

describe('sortByKeyDescending', () => {
  test('orders exactly like a stable comparator sort, whatever the keys, near-equal ones included', () => {
    fc.assert(
      fc.property(nearKeys, (keys) => {
        const members = Array.from(keys, (_, i) => i)
        expect(sortByKeyDescending(members, keys)).toEqual(reference(members, keys))
      }),
      { numRuns: 300 },
    )
  })

  test('sorts a subset of members, and ties keep the members\' order', () => {
    const keys = Float64Array.from({ length: 500 }, (_, i) => (i % 7) * 1.5 + (i % 3 === 0 ? 1e-12 : 0))
    const members = Array.from({ length: 250 }, (_, i) => 499 - 2 * i)
    expect(sortByKeyDescending(members, keys)).toEqual(reference(members, keys))
  })

  test('breakTies reorders only runs of equal keys', () => {
    const keys = Float64Array.from([3, 1, 3, 2, 1])
    expect(breakTies([2, 0, 3, 4, 1], keys, (a, b) => a - b)).toEqual([0, 2, 3, 1, 4])
  })

  test('breakTies sorts short and long runs alike: like a full sort by (key descending, tie-break)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 200 }), (values) => {
        const keys = Float64Array.from(values)
        const members = Array.from(keys, (_, i) => i)
        const byId = (a: number, b: number): number => (a * 7919) % 211 - (b * 7919) % 211 || a - b
        const expected = members.slice().sort((a, b) => keys[b]! - keys[a]! || byId(a, b))
        expect(breakTies(sortByKeyDescending(members, keys), keys, byId)).toEqual(expected)
      }),
    )
  })
})

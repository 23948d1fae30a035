import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { balanceShards, hashShards } from '../../../src/scheduling/shards.js'
import { WorkerPoolSimulation, longestFirstMakespan, simulateOrder } from '../../../src/scheduling/worker-pool-simulation.js'

describe('worker pool simulation (list scheduling, as the runners dispatch)', () => {
  test('each file goes to the first free worker', () => {
    // 3 workers: 5, 3, 1 start at 0; the 2 starts when the 1 ends; the 4 when the 3 ends.
    const { starts, makespan } = simulateOrder([5, 3, 1, 2, 4], 3)
    expect(Array.from(starts)).toEqual([0, 0, 0, 1, 3])
    expect(makespan).toBe(7)
  })

  test('one worker runs everything back to back; more workers than files start all at 0', () => {
    expect(Array.from(simulateOrder([2, 3, 4], 1).starts)).toEqual([0, 2, 5])
    expect(simulateOrder([2, 3, 4], 10).makespan).toBe(4)
  })

  test('nextStart and secondStart', () => {
    const pool = new WorkerPoolSimulation(3)
    pool.dispatch(5)
    pool.dispatch(2)
    expect([pool.nextStart, pool.secondStart]).toEqual([0, 2])
    pool.dispatch(1)
    expect([pool.nextStart, pool.secondStart]).toEqual([1, 2])
    expect(new WorkerPoolSimulation(1).secondStart).toBe(Infinity)
  })

  test('longest-first makespan: Graham\'s classic 4/3 example', () => {
    // 2 workers, jobs 3,3,2,2,2: LPT gives 7, the best is 6.
    expect(longestFirstMakespan([2, 3, 2, 3, 2], 2)).toBe(7)
  })
})

describe('balanceShards', () => {
  test('balances by predicted duration where equal counts would not', () => {
    const files = [9, 8, 7, 6, 5, 4, 3, 2, 1, 1].map((s, i) => ({ fileId: `f${i}`, predictedMs: s * 1000 }))
    const split = balanceShards(files, 3)
    expect(split.loads.map((load) => load / 1000).sort()).toEqual([15, 15, 16])
    expect(Math.max(...split.loads)).toBeLessThanOrEqual(Math.ceil(46 / 3) * 1000)
  })

  test('the improvement rounds fix what greedy LPT leaves (LPT alone: 7 vs 5 on 3,3,2,2,2)', () => {
    const split = balanceShards([3, 3, 2, 2, 2].map((s, i) => ({ fileId: `f${i}`, predictedMs: s })), 2)
    expect(split.loads.slice().sort()).toEqual([6, 6])
  })

  test('files never timed are spread by count, at the median size', () => {
    const files = [
      ...[100, 100, 100, 100].map((ms, i) => ({ fileId: `known-${i}`, predictedMs: ms })),
      ...Array.from({ length: 6 }, (_, i) => ({ fileId: `new-${i}`, predictedMs: null })),
    ]
    const split = balanceShards(files, 4)
    const unknownPerShard = split.shards.map((shard) => shard.filter((id) => id.startsWith('new-')).length)
    expect(unknownPerShard.slice().sort()).toEqual([1, 1, 2, 2])
  })

  test('never an empty shard when there are as many files as shards, even with zero durations', () => {
    expect(balanceShards([0, 0, 0, 0].map((ms, i) => ({ fileId: `z${i}`, predictedMs: ms })), 4).shards.map((s) => s.length)).toEqual([1, 1, 1, 1])
    expect(balanceShards([{ fileId: 'a', predictedMs: 100 }, { fileId: 'b', predictedMs: null }, { fileId: 'c', predictedMs: null }], 3).shards.map((s) => s.length)).toEqual([1, 1, 1])
  })

  test('property: every file exactly once, no empty shard, the same split from any input order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ms: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }), id: fc.string({ minLength: 1, maxLength: 12 }) }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        (entries, count) => {
          const files = Array.from(new Map(entries.map((e) => [e.id, { fileId: e.id, predictedMs: e.ms }])).values())
          const split = balanceShards(files, count)
          const all = split.shards.flat()
          expect(all.slice().sort()).toEqual(files.map((f) => f.fileId).sort())
          if (files.length >= count) expect(split.shards.every((shard) => shard.length > 0)).toBe(true)
          expect(balanceShards(files.slice().reverse(), count).shards).toEqual(split.shards)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('property: timed files only — the heaviest shard is within one file of the average (Graham\'s bound)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 4, maxLength: 60 }), fc.integer({ min: 2, max: 6 }), (sizes, count) => {
        const split = balanceShards(sizes.map((ms, i) => ({ fileId: `f${i}`, predictedMs: ms })), count)
        const average = sizes.reduce((a, b) => a + b, 0) / count
        expect(Math.max(...split.loads)).toBeLessThanOrEqual(average + Math.max(...sizes) * (1 - 1 / count) + 1e-9)
      }),
      { numRuns: 300 },
    )
  })
})

describe('hashShards (the runners\' split, for comparison)', () => {
  test('sorted by SHA-1 of the id, equal counts differing by at most one', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `tests/file-${i}.test.ts`)
    const shards = hashShards(ids, 3)
    expect(shards.map((shard) => shard.length)).toEqual([4, 3, 3])
    const sha = (id: string): string => createHash('sha1').update(id).digest('hex')
    expect(shards.flat()).toEqual(ids.slice().sort((a, b) => (sha(a) < sha(b) ? -1 : 1)))
  })
})

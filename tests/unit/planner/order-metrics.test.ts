import { describe, expect, test } from 'vitest'
import { orderMetrics } from '../../../src/replay/order-metrics.js'

const run = (...files: Array<[boolean, number]>) => files.map(([failed, durationMs]) => ({ failed, durationMs }))

describe('orderMetrics on hand-computed examples', () => {
  // n = 4, failures at ranks 2 and 3, durations 1, 2, 3, 4 (total 10).
  const order = run([false, 1], [true, 2], [true, 3], [false, 4])

  test('APFD = 1 - (2 + 3)/(4·2) + 1/8 = 0.5', () => {
    expect(orderMetrics(order).apfd).toBeCloseTo(0.5, 12)
  })

  test('APFDc = ((9 - 1) + (7 - 1.5)) / (10·2) = 0.675', () => {
    // Remaining time from rank 2 on: 2 + 3 + 4 = 9, minus half its own 2; from rank 3: 3 + 4 = 7, minus 1.5.
    expect(orderMetrics(order).apfdc).toBeCloseTo(0.675, 12)
  })

  test('time to first failure: 1 + 2 = 3', () => {
    expect(orderMetrics(order).timeToFirstFailureMs).toBe(3)
  })

  test('NAPFD at 50%: budget 5 schedules ranks 1 and 2 (3 used), skips 3 (6 > 5) and 4 (7 > 5)', () => {
    // Detected 1 of 2 (p = .5) at scheduled rank 2: .5 - 2/8 + .5/8 = 0.3125.
    expect(orderMetrics(order).napfd).toBeCloseTo(0.3125, 12)
  })

  test('NAPFD keeps walking after a file that does not fit', () => {
    // Budget 5: the 6 does not fit, the failing 1 after it does (scheduled rank 2).
    const metrics = orderMetrics(run([false, 2], [false, 6], [true, 1], [false, 1]))
    expect(metrics.napfd).toBeCloseTo(1 - 2 / 4 + 1 / 8, 12)
  })

  test('the best and worst orders of one failure among n', () => {
    expect(orderMetrics(run([true, 1], [false, 1], [false, 1], [false, 1])).apfd).toBeCloseTo(1 - 1 / 4 + 1 / 8, 12)
    expect(orderMetrics(run([false, 1], [false, 1], [false, 1], [true, 1])).apfd).toBeCloseTo(1 - 4 / 4 + 1 / 8, 12)
  })

  test('a single file: APFD and APFDc are 0.5 whatever its duration', () => {
    expect(orderMetrics(run([true, 7]))).toEqual({ apfd: 0.5, apfdc: 0.5, napfd: 0, timeToFirstFailureMs: 7 })
  })

  test('zero total time: APFDc falls back to APFD', () => {
    const metrics = orderMetrics(run([false, 0], [true, 0]))
    expect(metrics.apfdc).toBe(metrics.apfd)
  })

  test('no failures: nothing to score', () => {
    expect(orderMetrics(run([false, 1]))).toEqual({ apfd: null, apfdc: null, napfd: null, timeToFirstFailureMs: null })
  })
})

import { describe, expect, test } from 'vitest'
import { firstFailure } from '../../../src/ci/first-failure.js'
import type { FileRecord, HistoryEntry } from '../../../src/records.js'
import { fileRecord } from '../core/_fixtures.js'

const at = (record: FileRecord, startedAt: number): FileRecord => ({ ...record, startedAt })
const previous = (status: 'passed' | 'failed', durationMs: number): HistoryEntry[] => [{ seq: 1, status, durationMs, startedAt: 0, attempts: 1 }]

describe('time to the first failure against the runner default order', () => {
  test("the failing file ran first: measured, and replayed against the runner's rule (failed last time, new, longest)", () => {
    const records = [at(fileRecord(2, 'b.test.ts', 'failed', 100), 1_000), at(fileRecord(2, 'a.test.ts', 'passed', 900), 1_100)]
    const history: Record<string, HistoryEntry[]> = { 'a.test.ts': previous('passed', 900), 'b.test.ts': previous('passed', 100) }
    const result = firstFailure(records, ['b.test.ts', 'a.test.ts'], (id) => history[id] ?? [], 1_000, 2, 1)
    // The runner would run the longer a.test.ts first (neither failed last time): the failure at 1,000 ms, not 100.
    expect(result).toEqual({ failedFiles: 1, workers: 1, measuredMs: 100, simulatedMs: 100, runnerDefaultMs: 1_000, sameAsDefault: false })
  })

  test('a file that failed last time goes first in both orders', () => {
    const records = [at(fileRecord(2, 'b.test.ts', 'failed', 100), 0), at(fileRecord(2, 'a.test.ts', 'passed', 900), 100)]
    const history: Record<string, HistoryEntry[]> = { 'a.test.ts': previous('passed', 900), 'b.test.ts': previous('failed', 100) }
    expect(firstFailure(records, ['b.test.ts', 'a.test.ts'], (id) => history[id] ?? [], 0, 2, 1)).toMatchObject({ simulatedMs: 100, runnerDefaultMs: 100, sameAsDefault: true })
  })

  test("the first run has no history: its order is the runner's own", () => {
    const records = [at(fileRecord(1, 'b.test.ts', 'failed', 100), 500), at(fileRecord(1, 'a.test.ts', 'passed', 900), 0)]
    expect(firstFailure(records, [], () => [], 0, 1, 2)).toEqual({ failedFiles: 1, workers: 2, measuredMs: 600, simulatedMs: 100, runnerDefaultMs: 100, sameAsDefault: true })
  })

  test('no failure, nothing to wait for', () => {
    expect(firstFailure([fileRecord(1, 'a.test.ts', 'passed', 10)], [], () => [], 0, 1, 1)).toMatchObject({ failedFiles: 0, measuredMs: null, simulatedMs: null })
  })
})

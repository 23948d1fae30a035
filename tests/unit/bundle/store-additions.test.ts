import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { fileResult, testRecord, useScratch } from '../core/_fixtures.js'
import { record } from './_bundle.js'

const scratch = useScratch()

describe('HistoryStore.addToRun', () => {
  test('adds results under an older seq: windows stay in seq order, the plan index and the test seen last stay right', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 2 })
    const b = (ms: number) => fileResult('tests/b.test.ts', 'passed', ms, [testRecord('b', 'passed')])
    const first = await record(store, [b(10)])
    await record(store, [b(11)])
    await record(store, [fileResult('tests/a.test.ts', 'failed', 30, [testRecord('t', 'failed')])])
    await store.addToRun({ ...first, files: 2 }, [fileResult('tests/a.test.ts', 'passed', 20, [testRecord('t', 'passed')])])
    // a's window holds runs 1 and 3 in seq order; b's (limit 2) the last two of its own.
    expect(store.fileHistory('tests/a.test.ts')!.entries.map((entry) => [entry.seq, entry.status])).toEqual([[1, 'passed'], [3, 'failed']])
    expect(store.fileRecordsOf('tests/a.test.ts').map((file) => file.runSeq)).toEqual([1, 3])
    expect(store.listRuns()[0]!.files).toBe(2)
    expect(store.planEvidence().get('tests/a.test.ts')).toEqual(store.readPlanIndex().toMap().get('tests/a.test.ts'))
    expect(store.planIndex().evidence.has('tests/a.test.ts')).toBe(true)
    // The test was last seen in run 3, not run 1: compaction to the last two runs keeps it.
    await store.compact()
    expect(store.testsOf('tests/a.test.ts').map((test) => [test.name, test.entries.map((entry) => entry.seq)])).toEqual([['t', [3]]])
  })

  test('refuses a file the run already has, before anything is written', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const run = await record(store, [fileResult('tests/a.test.ts', 'passed', 10, [])])
    await expect(store.addToRun(run, [fileResult('tests/b.test.ts', 'passed', 5, []), fileResult('tests/a.test.ts', 'failed', 10, [])])).rejects.toMatchObject({
      code: ErrorCodes.STORE_WRITE,
      message: expect.stringContaining('already has results of tests/a.test.ts'),
    })
    expect(store.fileHistory('tests/b.test.ts')).toBeUndefined()
    expect(store.fileHistory('tests/a.test.ts')!.entries.map((entry) => entry.status)).toEqual(['passed'])
  })
})

describe('the export marker', () => {
  test('starts at 0 and never moves back', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    expect(store.exportedThrough()).toBe(0)
    await store.markExported(5)
    await store.markExported(3)
    expect(store.exportedThrough()).toBe(5)
  })
})

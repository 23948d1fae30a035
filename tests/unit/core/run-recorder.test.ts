import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { detectCodeState } from '../../../src/code-state.js'
import { ErrorCodes } from '../../../src/errors.js'
import type { RunStart } from '../../../src/core/run-recorder.js'
import { startRecording } from '../../../src/core/start-recording.js'
import type { TestRecord } from '../../../src/records.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { FLAKELINE_VERSION } from '../../../src/version.js'
import { fileResult, putMeta, testRecord, useScratch } from './_fixtures.js'

// startRecording reads FLAKELINE_* from process.env; these tests set options inline only.
for (const name of Object.keys(process.env)) if (name.startsWith('FLAKELINE_')) delete process.env[name]

const scratch = useScratch()
const STARTED = Date.UTC(2026, 10, 22, 3, 45, 1)
const START: RunStart = { runner: 'jest', runnerVersion: '30.5.2', shard: { index: 2, count: 4 }, workers: 3, startedAt: STARTED }

function project(): string {
  const root = scratch.dir()
  writeFileSync(join(root, 'package.json'), '{"name":"fixture"}')
  return root
}

function collector(): { lines: string[]; sink: (line: string) => void } {
  const lines: string[] = []
  return { lines, sink: (line) => lines.push(line) }
}

/** File i of a 70-file run: one passing test, and a failing, skipped, todo or flaky one now and then. */
function testsOfFile(i: number): TestRecord[] {
  const tests = [testRecord('works', 'passed', { durationMs: 2 })]
  if (i % 10 === 0) tests.push(testRecord('breaks', 'failed', { failureMessage: 'expected 1 to be 2' }))
  if (i % 7 === 0) tests.push(testRecord('later', 'skipped'))
  if (i % 5 === 0) tests.push(testRecord('someday', 'todo'))
  if (i === 3) tests.push(testRecord('wobbles', 'passed', { attempts: 2, attemptOutcomes: ['failed', 'passed'], retryErrors: ['timeout'] }))
  return tests
}

const pathOf = (i: number) => `tests/f${String(i).padStart(2, '0')}.test.ts`

describe('a full run through the real store', () => {
  test('70 files give the right run record, windows and detail records', async () => {
    const root = project()
    const notices = collector()
    const recorder = await startRecording(root, undefined, START, notices.sink)
    expect(recorder).not.toBeNull()
    for (let i = 0; i < 70; i++) {
      recorder!.addFile(fileResult(pathOf(i), i % 10 === 0 ? 'failed' : 'passed', 10 + i, testsOfFile(i), STARTED + i))
    }
    const run = await recorder!.finish('failed', STARTED + 4_321)
    expect(recorder!.healthy).toBe(true)

    expect(run).toEqual({
      id: expect.stringMatching(/^20261122T034501Z-[0-9a-f]{6}$/),
      seq: 1,
      runner: 'jest',
      runnerVersion: '30.5.2',
      flakelineVersion: FLAKELINE_VERSION,
      startedAt: STARTED,
      endedAt: STARTED + 4_321,
      code: await detectCodeState(root),
      shard: { index: 2, count: 4 },
      workers: 3,
      uid: expect.stringMatching(/^[0-9a-f]{16}$/),
      startup: { perWorkerMs: expect.any(Number), perFileMs: expect.any(Number) },
      status: 'failed',
      files: 70,
      tests: 102,
      passed: 71,
      failed: 7,
      skipped: 10,
      todo: 14,
      flaky: 1,
      durationMs: 4_321,
    })
    expect(notices.lines).toEqual([
      `flakeline: recorded run ${run!.id} (70 files, 102 tests, 7 failed, 1 passed on retry) in .flakeline`,
      // The analysis after the run: the test that passed on retry is flaky from its first run.
      expect.stringMatching(/^flakeline: newly flaky: wobbles \(tests\/f03\.test\.ts, \d+%\)$/),
      'flakeline: see `npx flakeline flaky` and `npx flakeline explain <test>`',
    ])

    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 200, readOnly: true })
    expect(store.listRuns()).toEqual([run])
    const windows = store.fileWindows()
    expect(windows.size).toBe(70)
    expect(windows.get(pathOf(12))!.entries()).toEqual([{ seq: 1, status: 'passed', durationMs: 22, startedAt: STARTED + 12, attempts: 1 }])
    expect(windows.get(pathOf(20))!.status(0)).toBe('failed')
    expect(store.fileRecordsOf(pathOf(3))).toEqual([{ ...fileResult(pathOf(3), 'passed', 13, testsOfFile(3), STARTED + 3), runSeq: 1, overheadMs: 0, firstOnWorker: false }])
    expect(store.testsOf(pathOf(3)).map((test) => [test.name, test.entries[0]!.status, test.entries[0]!.attempts])).toEqual([
      ['wobbles', 'passed', 2],
      ['works', 'passed', 1],
    ])
    expect(store.counts()).toEqual({ runs: 1, files: 70, tests: 102, fileRecords: 70 })
  })

  test('a second run gets the next seq; runId and quiet apply; a finished recorder ignores more files', async () => {
    const root = project()
    const first = await startRecording(root, { quiet: true }, START, () => {})
    await first!.finish('passed', STARTED + 1)
    const notices = collector()
    const recorder = await startRecording(root, { runId: 'ci-42', quiet: true }, { ...START, shard: null }, notices.sink)
    recorder!.addFile(fileResult('a.test.ts', 'passed', 5, [testRecord('t', 'passed')]))
    const run = await recorder!.finish('passed', STARTED + 10)
    recorder!.addFile(fileResult('b.test.ts', 'passed', 5, [testRecord('t', 'passed')]))
    expect(await recorder!.finish('interrupted')).toEqual(run)
    expect(run).toMatchObject({ id: 'ci-42', seq: 2, shard: null, status: 'passed', files: 1, tests: 1, passed: 1, durationMs: 10 })
    expect(notices.lines).toEqual([])
    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 200, readOnly: true })
    expect(store.listRuns().map((r) => [r.seq, r.files])).toEqual([[1, 0], [2, 1]])
    expect(store.fileWindow('b.test.ts')).toBeUndefined()
  })

  test('the store is found in the package root above the runner root', async () => {
    const root = project()
    const nested = join(root, 'packages', 'app')
    mkdirSync(nested, { recursive: true })
    const recorder = await startRecording(nested, { quiet: true }, START, () => {})
    await recorder!.finish('passed', STARTED + 1)
    expect(HistoryStore.exists(join(root, '.flakeline'))).toBe(true)
    expect(existsSync(join(nested, '.flakeline'))).toBe(false)
  })

  test('every 50th run compacts the store to the history limit', async () => {
    const root = project()
    for (let i = 1; i <= 50; i++) {
      const recorder = await startRecording(root, { quiet: true, historyLimit: 3 }, { ...START, startedAt: STARTED + i }, () => {})
      recorder!.addFile(fileResult('a.test.ts', 'passed', 5, [testRecord(`only in run ${i}`, 'passed')]))
      await recorder!.finish('passed', STARTED + 100 + i)
    }
    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 3, readOnly: true })
    expect(store.listRuns().map((run) => run.seq)).toEqual([48, 49, 50])
    expect(store.testsOf('a.test.ts').map((test) => test.name)).toEqual(['only in run 48', 'only in run 49', 'only in run 50'])
  })
})

describe('when flakeline is off or broken', () => {
  test('enabled: false records nothing', async () => {
    const root = project()
    const notices = collector()
    expect(await startRecording(root, { enabled: false }, START, notices.sink)).toBeNull()
    expect(notices.lines).toEqual([])
    expect(existsSync(join(root, '.flakeline'))).toBe(false)
  })

  test('a store that cannot be opened: one warning with the code, the run goes on, finish resolves null', async () => {
    const root = project()
    const notAStore = join(root, 'not-a-dir')
    writeFileSync(notAStore, 'a regular file')
    const notices = collector()
    const recorder = await startRecording(root, { dir: 'not-a-dir' }, START, notices.sink)
    for (let i = 0; i < 70; i++) recorder!.addFile(fileResult(pathOf(i), 'passed', 1, testsOfFile(i)))
    expect(await recorder!.finish('passed')).toBeNull()
    expect(recorder!.healthy).toBe(false)
    expect(notices.lines).toHaveLength(1)
    expect(notices.lines[0]!.startsWith(`flakeline: warning FLAKELINE_E_STORE_OPEN: cannot open the flakeline store at ${notAStore}: `)).toBe(true)
    expect(recorder!.notices.lastError?.code).toBe(ErrorCodes.STORE_OPEN)
  })

  test('the same in strict mode: finish rejects with the code', async () => {
    const root = project()
    writeFileSync(join(root, 'not-a-dir'), 'a regular file')
    const notices = collector()
    const recorder = await startRecording(root, { dir: 'not-a-dir', strict: true }, START, notices.sink)
    recorder!.addFile(fileResult('a.test.ts', 'passed', 1, [testRecord('t', 'passed')]))
    await expect(recorder!.finish('passed')).rejects.toMatchObject({ name: 'FlakelineError', code: ErrorCodes.STORE_OPEN })
    expect(notices.lines).toHaveLength(1)
  })

  // A file id longer than an LMDB key can hold (about 2 KB) is refused by the store.
  test.each([
    ['in a batch written during the run', 80],
    ['in the batch that closes the run', 3],
  ])('a file the store refuses %s costs only that file: the others and the run end are recorded, with one warning', async (_where, files) => {
    const root = project()
    const notices = collector()
    const recorder = (await startRecording(root, undefined, START, notices.sink))!
    const refused = `tests/${'deep/'.repeat(500)}x.test.ts`
    for (let i = 0; i < files; i++) recorder.addFile(fileResult(i === 1 ? refused : pathOf(i), 'passed', 5, [testRecord('works', 'passed')], STARTED + i))
    const run = await recorder.finish('passed', STARTED + 1_000)
    expect(run).toMatchObject({ status: 'passed', files, tests: files })
    const warnings = notices.lines.filter((line) => line.includes('warning'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(ErrorCodes.STORE_WRITE)
    expect(warnings[0]).toContain(`1 of ${Math.min(files, 64)} files could not be recorded (tests/deep/`)
    const store = HistoryStore.open(join(root, '.flakeline'), { historyLimit: 10, readOnly: true })
    try {
      expect(store.latestRun()).toMatchObject({ status: 'passed', endedAt: STARTED + 1_000 })
      expect(store.fileHistory(pathOf(0))?.entries).toHaveLength(1)
      expect(store.fileHistory(pathOf(files - 1))?.entries).toHaveLength(1)
      expect(store.fileHistory(refused)).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  test('in strict mode a refused file makes finish reject, after the rest is recorded', async () => {
    const root = project()
    const recorder = (await startRecording(root, { strict: true }, START, collector().sink))!
    recorder.addFile(fileResult(pathOf(0), 'passed', 5, [], STARTED))
    recorder.addFile(fileResult(`tests/${'deep/'.repeat(500)}x.test.ts`, 'passed', 5, [], STARTED))
    await expect(recorder.finish('passed', STARTED + 1_000)).rejects.toMatchObject({ code: ErrorCodes.STORE_WRITE })
    const store = HistoryStore.open(join(root, '.flakeline'), { historyLimit: 10, readOnly: true })
    try {
      expect(store.latestRun()).toMatchObject({ status: 'passed' })
      expect(store.fileHistory(pathOf(0))?.entries).toHaveLength(1)
    } finally {
      await store.close()
    }
  })

  test('a store from a newer flakeline: warned with FLAKELINE_E_STORE_SCHEMA and left alone', async () => {
    const root = project()
    mkdirSync(join(root, '.flakeline'))
    await putMeta(join(root, '.flakeline'), 'schema', 3)
    const notices = collector()
    const recorder = await startRecording(root, undefined, START, notices.sink)
    expect(await recorder!.finish('passed')).toBeNull()
    expect(notices.lines).toEqual([
      `flakeline: warning FLAKELINE_E_STORE_SCHEMA: the flakeline store at ${join(root, '.flakeline')} has schema 3, newer than this flakeline understands (2); upgrade flakeline or use another dir`,
    ])
  })

  test('a bad option is warned once and its default used; in strict mode startRecording rejects', async () => {
    const root = project()
    const notices = collector()
    const recorder = await startRecording(root, { historyLimit: 0, colour: 'red', quiet: true }, START, notices.sink)
    expect(recorder!.options.historyLimit).toBe(200)
    expect(notices.lines).toEqual([
      'flakeline: warning FLAKELINE_E_CONFIG: options.historyLimit must be an integer from 1 to 100000, got 0',
      'flakeline: warning FLAKELINE_E_CONFIG: options: unknown option "colour" (known options: dir, historyLimit, strict, enabled, maxMessageLength, quiet, runId, policy, deadlines, priorities, seed, workers, gitChanges, serve, hub, token, shardPlan, analysis, analysisTimeout, flakyPlacement, ci, annotateFailures, quarantine, quarantineMinConfidence)',
    ])
    expect(await recorder!.finish('passed')).toMatchObject({ seq: 1 })
    await expect(startRecording(root, { historyLimit: 0, strict: true }, START, () => {})).rejects.toMatchObject({
      code: ErrorCodes.CONFIG,
      message: 'options.historyLimit must be an integer from 1 to 100000, got 0',
    })
  })
})

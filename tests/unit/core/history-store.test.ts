import { describe, test, expect } from 'vitest'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { ErrorCodes } from '../../../src/errors.js'
import { HistoryStore, SCHEMA_VERSION, STORE_FILE } from '../../../src/store/history-store.js'
import { MAX_STORED_NAME_BYTES, storedTestName } from '../../../src/store/test-key.js'
import { fileRecord, newRun, recordRun, runScript, testRecord, useScratch } from './_fixtures.js'

const scratch = useScratch()

describe('opening', () => {
  test('creates the directory and a schema 2 store', async () => {
    const dir = join(scratch.dir(), 'nested', '.flakeline')
    expect(HistoryStore.exists(dir)).toBe(false)
    const store = scratch.open(dir, { historyLimit: 10 })
    expect(SCHEMA_VERSION).toBe(2)
    expect(store.schemaVersion()).toBe(2)
    expect(store.path).toBe(join(dir, STORE_FILE))
    expect(HistoryStore.exists(dir)).toBe(true)
    expect(store.listRuns()).toEqual([])
    expect(store.counts()).toEqual({ runs: 0, files: 0, tests: 0, fileRecords: 0 })
    expect(store.verify()).toEqual([])
  })

  test('a directory it creates gets its own .gitignore, so git never lists the store; a directory the user made is left alone', () => {
    const project = scratch.dir()
    execFileSync('git', ['init', '-q'], { cwd: project })
    scratch.open(join(project, '.flakeline'), { historyLimit: 10 })
    expect(readFileSync(join(project, '.flakeline', '.gitignore'), 'utf8')).toContain('*\n')
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: project, encoding: 'utf8' })).toBe('')

    const own = join(scratch.dir(), 'mine')
    mkdirSync(own)
    scratch.open(own, { historyLimit: 10 })
    expect(existsSync(join(own, '.gitignore'))).toBe(false)
  })

  test('reopening keeps the runs and continues the sequence', async () => {
    const dir = scratch.dir()
    const first = scratch.open(dir, { historyLimit: 10 })
    await recordRun(first, [fileRecord(0, 'a.test.ts', 'passed', 5)], { id: 'one' })
    await first.close()
    const second = scratch.open(dir, { historyLimit: 10 })
    const run = await second.beginRun(newRun({ id: 'two' }))
    expect(run.seq).toBe(2)
    expect(second.listRuns().map((r) => [r.seq, r.id])).toEqual([[1, 'one'], [2, 'two']])
    const readOnly = scratch.open(dir, { historyLimit: 10, readOnly: true })
    expect(readOnly.latestRun()?.id).toBe('two')
  })

  // One Vitest process holds the reporter's writable store and the sequencer's and live hub's readers.
  // lmdb-js shares one environment per file, and a writable open failed while a read-only one was open
  // ("No transaction to renew"): the reader-first case fails without `besideWriters`; a plain reader
  // after the writer works either way. Each order runs in a fresh process.
  test.each([
    ['the writer first, then a reader of the runner', 'writer', true],
    ['a reader of the runner first, then the writer', 'reader', true],
    ['the writer first, then a plain reader (the CLI\'s kind)', 'writer', false],
  ])('%s: both read and the writer records while the reader is open', async (_, first, besideWriters) => {
    const dir = scratch.dir()
    const seed = scratch.open(dir, { historyLimit: 10 })
    await recordRun(seed, [fileRecord(0, 'a.test.ts', 'passed', 5)], { id: 'one' })
    await seed.close()
    const script = `
const { HistoryStore } = await import(process.argv[2])
const [dir, first, beside] = process.argv.slice(3)
const reader = () => HistoryStore.open(dir, { historyLimit: 10, readOnly: true, besideWriters: beside === 'true' })
const writer = () => HistoryStore.open(dir, { historyLimit: 10 })
const seen = []
let w, r
if (first === 'writer') {
  // The recorder opens and begins its run; then the sequencer or the hub opens to read.
  w = writer()
  var run = await w.beginRun({ ...w.latestRun(), id: 'two', status: 'running', endedAt: null })
  r = reader()
} else {
  // The sequencer opens and reads its evidence; then the recorder opens and begins its run.
  r = reader()
  r.readPlanIndex()
  r.analysis.fileVerdicts()
  w = writer()
  var run = await w.beginRun({ ...w.latestRun(), id: 'two', status: 'running', endedAt: null })
}
seen.push(r.listRuns().length, r.readPlanIndex().size)
await w.updateRun({ ...run, status: 'passed', endedAt: run.startedAt + 1 })
seen.push(r.listRuns().map((run) => run.id).join(','))
await r.close()
await w.close()
console.log(JSON.stringify(seen))
`
    const child = runScript(dir, 'both.mjs', script, [dir, first, String(besideWriters)])
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual([2, 1, 'one,two'])
  })

  test('a read-only open of a missing store is FLAKELINE_E_STORE_OPEN and creates nothing', () => {
    const dir = join(scratch.dir(), 'missing')
    expect(() => HistoryStore.open(dir, { historyLimit: 10, readOnly: true })).toThrow(
      expect.objectContaining({ code: ErrorCodes.STORE_OPEN, message: `no flakeline store at ${dir} (a run with the flakeline reporter creates it)` }),
    )
    expect(existsSync(dir)).toBe(false)
  })

  test('use after close is FLAKELINE_E_STORE_CLOSED; close is idempotent', async () => {
    const dir = scratch.dir()
    const store = HistoryStore.open(dir, { historyLimit: 10 })
    await store.close()
    await store.close()
    const closed = expect.objectContaining({ code: ErrorCodes.STORE_CLOSED, message: `the flakeline store at ${dir} is closed` })
    expect(() => store.listRuns()).toThrow(closed)
    expect(() => store.fileWindows()).toThrow(closed)
    expect(() => store.verify()).toThrow(closed)
    await expect(store.beginRun(newRun())).rejects.toMatchObject({ code: ErrorCodes.STORE_CLOSED })
    await expect(store.recordFiles([fileRecord(1, 'a.test.ts', 'passed', 1)])).rejects.toMatchObject({ code: ErrorCodes.STORE_CLOSED })
  })
})

describe('recording', () => {
  test('beginRun assigns increasing seqs and updateRun replaces the record', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const runs = [await store.beginRun(newRun({ id: 'a' })), await store.beginRun(newRun({ id: 'b' })), await store.beginRun(newRun({ id: 'c' }))]
    expect(runs.map((run) => run.seq)).toEqual([1, 2, 3])
    await store.updateRun({ ...runs[1]!, status: 'failed', failed: 2, endedAt: 5 })
    expect(store.listRuns()[1]).toEqual({ ...newRun({ id: 'b' }), seq: 2, status: 'failed', failed: 2, endedAt: 5 })
    expect(store.latestRun()).toEqual(runs[2])
  })

  test('finishRun closes a run in one write: its last files, their plan index entries and the run record', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const run = await store.beginRun(newRun({ id: 'closing' }))
    await store.recordFiles([{ ...fileRecord(0, 'early.test.ts', 'passed', 5), runSeq: run.seq }])
    const late = { ...fileRecord(0, 'late.test.ts', 'failed', 9, [testRecord('late > breaks', 'failed')]), runSeq: run.seq }
    await store.finishRun([late], { ...run, status: 'failed', failed: 1, endedAt: 10 }, ['early.test.ts', 'late.test.ts'])
    expect([...store.planEvidence().keys()].sort()).toEqual(['early.test.ts', 'late.test.ts'])
    expect(store.planEvidence().get('late.test.ts')).toMatchObject({ runs: 1, lastStatus: 'failed', lastSeq: run.seq })
    expect(store.fileWindows().get('late.test.ts')?.entries().map((entry) => entry.status)).toEqual(['failed'])
    expect(store.latestRun()).toMatchObject({ id: 'closing', status: 'failed', failed: 1, endedAt: 10 })
    expect(store.verify()).toEqual([])
  })

  test('file results land in windows, detail records and test histories', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const adds = testRecord('math > adds', 'passed', { durationMs: 3, startedAt: 1_100, location: { line: 4, column: 3 } })
    const subtracts = testRecord('math > subtracts', 'failed', { durationMs: 8, attempts: 2, attemptOutcomes: ['failed', 'failed'] })
    const other = testRecord('other > adds up', 'skipped')
    const run1 = await recordRun(store, [
      { ...fileRecord(0, 'src/math.test.ts', 'failed', 40, [adds, subtracts]), project: 'web', fileId: 'web:src/math.test.ts' },
      fileRecord(0, 'src/other.test.ts', 'skipped', 1, [other]),
    ])
    const run2 = await recordRun(store, [fileRecord(0, 'src/other.test.ts', 'passed', 20, [testRecord('other > adds up', 'passed')])])

    expect(store.listRuns().map((run) => [run.seq, run.status, run.tests, run.failed])).toEqual([[1, 'failed', 3, 1], [2, 'passed', 1, 0]])
    const windows = store.fileWindows()
    expect([...windows.keys()]).toEqual(['src/other.test.ts', 'web:src/math.test.ts'])
    expect(windows.get('src/other.test.ts')!.entries().map((e) => [e.seq, e.status, e.durationMs])).toEqual([[1, 'skipped', 1], [2, 'passed', 20]])

    expect(store.fileHistory('web:src/math.test.ts')).toEqual({
      fileId: 'web:src/math.test.ts',
      project: 'web',
      path: 'src/math.test.ts',
      entries: [{ seq: run1.seq, status: 'failed', durationMs: 40, startedAt: 1_000, attempts: 1 }],
    })
    expect(store.fileHistory('nope.test.ts')).toBeUndefined()
    expect(store.fileWindow('nope.test.ts')).toBeUndefined()
    expect(store.listFiles().map((file) => [file.fileId, file.entries.length])).toEqual([['src/other.test.ts', 2], ['web:src/math.test.ts', 1]])

    const [detail] = store.fileRecordsOf('web:src/math.test.ts')
    expect(detail).toEqual({ ...fileRecord(run1.seq, 'src/math.test.ts', 'failed', 40, [adds, subtracts]), startedAt: 1_000, project: 'web', fileId: 'web:src/math.test.ts' })
    expect(store.fileRecordsOf('src/other.test.ts').map((record) => record.runSeq)).toEqual([1, 2])
    expect(store.recordsOfRun(run2.seq).map((record) => record.fileId)).toEqual(['src/other.test.ts'])

    expect(store.testsOf('web:src/math.test.ts')).toEqual([
      { fileId: 'web:src/math.test.ts', name: 'math > adds', entries: [{ seq: 1, status: 'passed', durationMs: 3, startedAt: 1_100, attempts: 1 }] },
      { fileId: 'web:src/math.test.ts', name: 'math > subtracts', entries: [{ seq: 1, status: 'failed', durationMs: 8, startedAt: 1_000, attempts: 2 }] },
    ])
    expect(store.testsOf('src/other.test.ts').map((test) => test.entries.map((e) => e.status))).toEqual([['skipped', 'passed']])
    expect(store.findTests('adds').map((test) => `${test.fileId} > ${test.name}`)).toEqual(['src/other.test.ts > other > adds up', 'web:src/math.test.ts > math > adds'])
    expect(store.findTests('web:src/math.test.ts > math > subtracts').map((test) => test.name)).toEqual(['math > subtracts'])
    expect(store.findTests('adds', 1)).toHaveLength(1)
    expect(store.counts()).toEqual({ runs: 2, files: 2, tests: 3, fileRecords: 3 })
    expect(store.verify()).toEqual([])
  })

  test('a write that fails halfway leaves nothing behind (lmdb-js keeps the puts of a failed async transaction)', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const good = fileRecord(1, 'good.test.ts', 'passed', 5, [testRecord('works', 'passed')])
    const circular: Record<string, unknown> = {}
    circular.self = circular
    const bad = { ...fileRecord(1, 'bad.test.ts', 'passed', 5), fileError: circular as unknown as string }
    await expect(store.recordFiles([good, bad])).rejects.toMatchObject({ code: ErrorCodes.STORE_WRITE })
    expect(store.fileHistory('good.test.ts')).toBeUndefined()
    expect(store.counts()).toEqual({ runs: 0, files: 0, tests: 0, fileRecords: 0 })
    await store.recordFiles([good])
    expect(store.fileHistory('good.test.ts')?.entries).toHaveLength(1)
  })

  test('recordFiles with no records is a no-op', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    await store.recordFiles([])
    expect(store.counts()).toEqual({ runs: 0, files: 0, tests: 0, fileRecords: 0 })
  })

  // LMDB keys hold at most 1978 bytes; a test.each title can carry kilobytes of data.
  test('tests whose names are longer than a key can hold are recorded, kept apart, and found again next run', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const shared = `checks ${'{"payload":"x"} '.repeat(400)}`
    const names = [`${shared} first`, `${shared} second`, `${'ü'.repeat(3000)}`, 'short']
    for (let run = 0; run < 2; run++) {
      await recordRun(store, [fileRecord(0, 'long.test.ts', 'passed', 5, names.map((name) => testRecord(name, run === 0 ? 'passed' : 'failed')))])
    }
    const stored = store.testsOf('long.test.ts')
    expect(stored).toHaveLength(4)
    for (const test of stored) {
      expect(Buffer.byteLength(test.name)).toBeLessThanOrEqual(MAX_STORED_NAME_BYTES)
      expect(test.entries.map((entry) => entry.status)).toEqual(['passed', 'failed'])
    }
    expect(stored.map((test) => test.name)).toContain('short')
    expect(stored.filter((test) => test.name.startsWith('checks ')).map((test) => test.name.slice(-18))).toHaveLength(2)
    expect(new Set(stored.map((test) => test.name)).size).toBe(4)
    expect(storedTestName(names[0]!)).toMatch(/^checks \{"payload":"x"\} .*…#[0-9a-f]{16}$/)
    expect(storedTestName(names[2]!).endsWith('…#' + storedTestName(names[2]!).slice(-16))).toBe(true)
    expect(storedTestName(names[2]!)).not.toContain('\ufffd')
    // The file's detail record keeps every name whole.
    expect(store.fileRecordsOf('long.test.ts').at(-1)?.tests.map((test) => test.name)).toEqual(names)
    expect(store.verify()).toEqual([])
  })

  // LMDB orders string keys by UTF-8 bytes, and characters above U+FFFF (emoji, CJK extension B)
  // encode above '\uffff', so no string bound covers every name of a file.
  test('testsOf lists tests whose names start with characters above U+FFFF', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const names = ['plain', 'zeta', '🎲 rolls a six', '𠀀 parses CJK extension B']
    await recordRun(store, [fileRecord(0, 'dice.test.ts', 'passed', 5, names.map((name) => testRecord(name, 'passed')))])
    expect(store.findTests('').map((test) => test.name).sort()).toEqual([...names].sort())
    expect(store.testsOf('dice.test.ts').map((test) => test.name).sort()).toEqual([...names].sort())
  })
})

describe('bounded history', () => {
  test('limit 3, five runs: windows of 3 and the detail records of dropped runs removed', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 3 })
    for (let i = 1; i <= 5; i++) {
      await recordRun(store, [fileRecord(0, 'a.test.ts', i % 2 ? 'passed' : 'failed', i * 10, [testRecord('t', i % 2 ? 'passed' : 'failed')])], { id: `run-${i}` })
    }
    expect(store.fileWindow('a.test.ts')!.entries().map((e) => [e.seq, e.status, e.durationMs])).toEqual([[3, 'passed', 30], [4, 'failed', 40], [5, 'passed', 50]])
    expect(store.testsOf('a.test.ts')[0]!.entries.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(store.fileRecordsOf('a.test.ts').map((record) => record.runSeq)).toEqual([3, 4, 5])
    expect(store.recordsOfRun(1)).toEqual([])
    // Run records are only dropped by compact().
    expect(store.listRuns()).toHaveLength(5)
  })

  test('compact() removes old runs, their records, and tests not seen since', async () => {
    const dir = scratch.dir()
    const store = scratch.open(dir, { historyLimit: 3 })
    await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', 1, [testRecord('renamed later', 'passed'), testRecord('kept', 'passed')]), fileRecord(0, 'gone.test.ts', 'passed', 1)])
    for (let i = 2; i <= 5; i++) await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', i, [testRecord('kept', 'passed'), testRecord(`new name ${i}`, 'passed')])])
    expect(store.counts()).toEqual({ runs: 5, files: 2, tests: 6, fileRecords: 4 })

    const report = await store.compact()
    expect(report).toMatchObject({ runsRemoved: 2, fileRecordsRemoved: 1, testsRemoved: 2 })
    expect(report.bytesBefore).toBeGreaterThan(0)
    expect(store.listRuns().map((run) => run.seq)).toEqual([3, 4, 5])
    expect(store.listFiles().map((file) => file.fileId)).toEqual(['a.test.ts'])
    expect(store.testsOf('a.test.ts').map((test) => [test.name, test.entries.map((e) => e.seq)])).toEqual([
      ['kept', [3, 4, 5]],
      ['new name 3', [3]],
      ['new name 4', [4]],
      ['new name 5', [5]],
    ])
    expect(store.fileRecordsOf('gone.test.ts')).toEqual([])
    expect(store.verify()).toEqual([])
    expect(await store.compact()).toMatchObject({ runsRemoved: 0, fileRecordsRemoved: 0, testsRemoved: 0 })
  })

  // When two runs overlap and the later one writes its results first, the window still keeps seq
  // order, so trimming and compaction drop the oldest runs, not the last written.
  test('compact() drops window entries of deleted runs written out of order', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 2 })
    const first = await store.beginRun(newRun({ id: 'first' }))
    const second = await store.beginRun(newRun({ id: 'second' }))
    await store.recordFiles([fileRecord(second.seq, 'a.test.ts', 'passed', 2)])
    await store.recordFiles([fileRecord(first.seq, 'a.test.ts', 'passed', 1)])
    await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', 3)], { id: 'third' })
    expect(store.fileWindow('a.test.ts')!.entries().map((e) => e.seq)).toEqual([2, 3])
    expect(store.fileRecordsOf('a.test.ts').map((record) => record.runSeq)).toEqual([2, 3])
    await store.compact()
    expect(store.listRuns().map((run) => run.seq)).toEqual([2, 3])
    expect(store.fileRecordsOf('a.test.ts').map((record) => record.runSeq)).toEqual([2, 3])
    expect(store.fileWindow('a.test.ts')!.entries().map((e) => e.seq)).toEqual([2, 3])
  })

  test('compact() under the limit removes nothing', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', 1, [testRecord('t', 'passed')])])
    await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', 1, [testRecord('t', 'passed')])])
    expect(await store.compact()).toMatchObject({ runsRemoved: 0, fileRecordsRemoved: 0, testsRemoved: 0 })
    expect(store.counts()).toEqual({ runs: 2, files: 1, tests: 1, fileRecords: 2 })
  })
})

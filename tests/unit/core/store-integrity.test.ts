import { spawn } from 'node:child_process'
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { open } from 'lmdb'
import { HistoryStore, STORE_FILE } from '../../../src/store/history-store.js'
import { checkPages } from '../../../src/store/page-check.js'
import { ensureSound } from '../../../src/store/store-soundness.js'
import { DIST_INDEX_URL, fileRecord, putMeta, recordRun, runScript, useScratch } from './_fixtures.js'

const scratch = useScratch()

// Corrupt stores are opened in a child process: lmdb-js may crash the process on some of them.
const PROBE_OPEN = `
const { HistoryStore } = await import(process.argv[2])
try {
  const store = HistoryStore.open(process.argv[3], { historyLimit: 5 })
  console.log(JSON.stringify({ opened: true, runs: store.listRuns().length }))
  await store.close()
} catch (error) {
  console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }))
}
`

/** A store of random bytes: the same bytes every run, so a failure reproduces. */
function garbage(length: number): Buffer {
  const bytes = Buffer.alloc(length)
  let state = 0x2545f491
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[i] = state & 0xff
  }
  return bytes
}

describe('schema', () => {
  test('a store written with a newer schema is refused with FLAKELINE_E_STORE_SCHEMA', async () => {
    const dir = scratch.dir()
    await putMeta(dir, 'schema', 99)
    const message = `the flakeline store at ${dir} has schema 99, newer than this flakeline understands (2); upgrade flakeline or use another dir`
    expect(() => HistoryStore.open(dir, { historyLimit: 5 })).toThrow(expect.objectContaining({ code: ErrorCodes.STORE_SCHEMA, message }))
    expect(() => HistoryStore.open(dir, { historyLimit: 5, readOnly: true })).toThrow(expect.objectContaining({ code: ErrorCodes.STORE_SCHEMA }))
  })

  test('an unreadable schema marker is FLAKELINE_E_STORE_CORRUPT', async () => {
    const dir = scratch.dir()
    await putMeta(dir, 'schema', 'one')
    expect(() => HistoryStore.open(dir, { historyLimit: 5 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.STORE_CORRUPT, message: `the flakeline store at ${dir} has an unreadable schema marker` }),
    )
  })

  test('an older schema opens read-only as it is, and is migrated when opened for writing', async () => {
    const dir = scratch.dir()
    await putMeta(dir, 'schema', 1)
    const readOnly = HistoryStore.open(dir, { historyLimit: 5, readOnly: true })
    expect(readOnly.schemaVersion()).toBe(1)
    await readOnly.close()
    expect(scratch.open(dir, { historyLimit: 5 }).schemaVersion()).toBe(2)
  })

  test('schema 1 → 2: Vitest file durations of the tests only are flagged, so the first whole-cost duration wins; Jest runs are left as they were', async () => {
    const dir = scratch.dir()
    const v1 = scratch.open(dir, { historyLimit: 10 })
    await recordRun(v1, [fileRecord(0, 'a.test.ts', 'passed', 5), fileRecord(0, 'b.test.ts', 'passed', 7)], { runner: 'vitest' })
    await recordRun(v1, [fileRecord(0, 'a.test.ts', 'passed', 6)], { runner: 'jest' })
    await v1.close()
    await putMeta(dir, 'schema', 1)
    const v2 = scratch.open(dir, { historyLimit: 10 })
    expect(v2.schemaVersion()).toBe(2)
    expect(v2.fileWindow('a.test.ts')!.entries().map((entry) => entry.partialDuration === true)).toEqual([true, false])
    expect(v2.planIndex().evidence.get('b.test.ts')!.predictedMs).toBe(7)
    await recordRun(v2, [fileRecord(0, 'b.test.ts', 'passed', 400)], { runner: 'vitest' })
    await v2.updatePlanIndex(['b.test.ts'])
    // The one whole-cost duration (imports and setup included) is the prediction, not the median with the old one.
    expect(v2.planIndex().evidence.get('b.test.ts')!.predictedMs).toBe(400)
  })
})

describe('corrupt store files', () => {
  test('a file of random bytes is left untouched, byte for byte', () => {
    const dir = scratch.dir()
    const bytes = garbage(16_384)
    writeFileSync(join(dir, STORE_FILE), bytes)
    runScript(dir, 'probe.mjs', PROBE_OPEN, [dir])
    expect(readFileSync(join(dir, STORE_FILE)).equals(bytes)).toBe(true)
  })

  test('a file of random bytes is refused with FLAKELINE_E_STORE_CORRUPT, not a crash', () => {
    const dir = scratch.dir()
    const file = join(dir, STORE_FILE)
    writeFileSync(file, garbage(16_384))
    const child = runScript(dir, 'probe.mjs', PROBE_OPEN, [dir])
    expect(child.signal).toBe(null)
    expect(JSON.parse(child.stdout)).toEqual({
      name: 'FlakelineError',
      code: ErrorCodes.STORE_CORRUPT,
      message: `${file} is not a usable LMDB file (wrong magic number); it is left untouched: flakeline doctor --repair sets it aside and starts a new store, or point FLAKELINE_DIR elsewhere`,
    })
  })

  // A store cut short (an interrupted copy, a CI cache restored from a partial upload) keeps valid
  // meta pages; lmdb-js would map it and crash the process with SIGBUS.
  test('a truncated store throws FLAKELINE_E_STORE_CORRUPT instead of crashing', async () => {
    const source = scratch.dir()
    const store = scratch.open(source, { historyLimit: 5 })
    await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', 5)])
    await store.close()
    const dir = scratch.dir()
    const bytes = readFileSync(join(source, STORE_FILE)).subarray(0, 3 * 4096)
    writeFileSync(join(dir, STORE_FILE), bytes)
    const child = runScript(dir, 'probe.mjs', PROBE_OPEN, [dir])
    expect(readFileSync(join(dir, STORE_FILE)).equals(bytes)).toBe(true)
    expect(child.signal).toBe(null)
    expect(JSON.parse(child.stdout)).toMatchObject({ name: 'FlakelineError', code: ErrorCodes.STORE_CORRUPT })
  })

  // LMDB's meta names the last page it allocated, but it never writes pages it freed in the transaction
  // that took them: a 75 MB store flakeline had just closed was 32 KB short of that page, and the
  // length check refused it as truncated on every run after. Short is truncated only when a page the
  // data needs lies past the end.
  test('a sound store whose file ends before the last page its meta names opens, reads, records and checks clean; cut into its data, it is refused', async () => {
    const dir = scratch.dir()
    const store = scratch.open(dir, { historyLimit: 5 })
    await recordRun(store, [fileRecord(0, 'a.test.ts', 'passed', 5)])
    await store.close()
    const file = join(dir, STORE_FILE)
    // A large value written and then deleted: its pages end the file and are free.
    const env = open({ path: file, maxDbs: 12, eventTurnBatching: false })
    const meta = env.openDB<unknown, string>({ name: 'meta' })
    meta.putSync('scratch', Buffer.alloc(1 << 20))
    meta.removeSync('scratch')
    // A few more commits move the trees' newest pages back to the low free pages.
    for (let i = 0; i < 5; i++) meta.putSync(`note-${i}`, i)
    const { pageSize } = env.getStats() as { pageSize: number }
    await env.close()
    const { highestPage, problems } = checkPages(file)
    expect(problems).toEqual([])
    const length = statSync(file).size
    expect((highestPage + 1) * pageSize).toBeLessThan(length)
    // The free tail gone, as LMDB itself leaves files whose last pages it never wrote.
    truncateSync(file, (highestPage + 1) * pageSize)
    const child = runScript(dir, 'probe.mjs', PROBE_OPEN, [dir])
    expect(child.signal).toBe(null)
    expect(JSON.parse(child.stdout)).toEqual({ opened: true, runs: 1 })
    await ensureSound(dir)
    const reopened = scratch.open(dir, { historyLimit: 5 })
    await recordRun(reopened, [fileRecord(0, 'a.test.ts', 'passed', 5), fileRecord(0, 'b.test.ts', 'failed', 9)], { id: 'run-2' })
    expect(reopened.listRuns()).toHaveLength(2)
    await reopened.close()
    expect(checkPages(file).problems).toEqual([])

    // Cut into pages the data needs: refused, whatever LMDB's meta says.
    const cut = checkPages(file).highestPage * pageSize
    truncateSync(file, cut)
    const refused = runScript(dir, 'probe.mjs', PROBE_OPEN, [dir])
    expect(refused.signal).toBe(null)
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: ErrorCodes.STORE_CORRUPT, message: expect.stringContaining(`truncated: ${cut} bytes`) })
  })

  // Valid meta pages with a damaged main tree make openDB throw lmdb's raw MDB_CORRUPTED error,
  // which must surface as FLAKELINE_E_STORE_CORRUPT.
  test('a store with damaged data pages throws FLAKELINE_E_STORE_CORRUPT', async () => {
    const source = scratch.dir()
    await scratch.open(source, { historyLimit: 5 }).close()
    const bytes = readFileSync(join(source, STORE_FILE))
    bytes.fill(0, 2 * 4096)
    const dir = scratch.dir()
    writeFileSync(join(dir, STORE_FILE), bytes)
    const child = runScript(dir, 'probe.mjs', PROBE_OPEN, [dir])
    expect(child.signal).toBe(null)
    expect(readFileSync(join(dir, STORE_FILE)).equals(bytes)).toBe(true)
    expect(JSON.parse(child.stdout)).toMatchObject({ name: 'FlakelineError', code: ErrorCodes.STORE_CORRUPT })
  })
})

// Each child records 20 runs of one shared file and one file of its own, starting together.
const WRITER = `
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
const { HistoryStore } = await import(process.argv[2])
const [dir, barrier, name, other] = process.argv.slice(3)
const store = HistoryStore.open(dir, { historyLimit: 50 })
writeFileSync(join(barrier, name), '')
const deadline = Date.now() + 20_000
while (!existsSync(join(barrier, other)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2))
const test = { name: 'from ' + name, status: 'passed', durationMs: 1, startedAt: null, attempts: 1, attemptOutcomes: ['passed'], retryErrors: [], failureMessage: null, location: null }
for (let i = 0; i < 20; i++) {
  const run = await store.beginRun({ id: name + '-' + i, runner: 'vitest', runnerVersion: '4', flakelineVersion: '0.1.0', startedAt: 1000 + i, endedAt: null,
    code: { commit: null, dirty: false, branch: null, source: 'none' }, shard: null, workers: 1, status: 'running',
    files: 0, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0, durationMs: 0 })
  const file = (path) => ({ fileId: path, project: '', path, runSeq: run.seq, status: 'passed', durationMs: 10, startedAt: 1000 + i, fileError: null, tests: [test] })
  await store.recordFiles([file('shared.test.ts'), file(name + '.test.ts')])
  await store.updateRun({ ...run, status: 'passed', endedAt: 2000 + i, files: 2, tests: 2, passed: 2 })
}
await store.close()
`

function runWriter(script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, DIST_INDEX_URL, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

describe('two processes writing at once', () => {
  test('both land: 40 runs with distinct seqs, every window complete', async () => {
    const dir = scratch.dir()
    const barrier = scratch.dir()
    const script = join(barrier, 'writer.mjs')
    writeFileSync(script, WRITER)
    const results = await Promise.all([runWriter(script, [dir, barrier, 'a', 'b']), runWriter(script, [dir, barrier, 'b', 'a'])])
    expect(results).toEqual([{ code: 0, stderr: '' }, { code: 0, stderr: '' }])

    const store = scratch.open(dir, { historyLimit: 50, readOnly: true })
    const runs = store.listRuns()
    expect(runs).toHaveLength(40)
    expect(runs.map((run) => run.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(runs.map((run) => run.id).sort()).toEqual([...Array.from({ length: 20 }, (_, i) => `a-${i}`), ...Array.from({ length: 20 }, (_, i) => `b-${i}`)].sort())
    expect(runs.every((run) => run.status === 'passed' && run.files === 2)).toBe(true)
    const windows = store.fileWindows()
    expect([...windows.keys()]).toEqual(['a.test.ts', 'b.test.ts', 'shared.test.ts'])
    // Windows are in write order: a run that began first may write its results second.
    expect(windows.get('shared.test.ts')!.entries().map((e) => e.seq).sort((a, b) => a - b)).toEqual(runs.map((run) => run.seq))
    expect([windows.get('a.test.ts')!.length, windows.get('b.test.ts')!.length]).toEqual([20, 20])
    expect(store.testsOf('shared.test.ts').map((test) => [test.name, test.entries.length])).toEqual([['from a', 20], ['from b', 20]])
    expect(store.fileRecordsOf('shared.test.ts')).toHaveLength(40)
    expect(store.verify()).toEqual([])
  })
})

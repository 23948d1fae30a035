import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { open } from 'lmdb'
import { afterEach } from 'vitest'
import type { FileResult } from '../../../src/core/run-recorder.js'
import type { CodeState, FileRecord, RunRecord, TestRecord, TestStatus } from '../../../src/records.js'
import { HistoryStore, STORE_FILE, type NewRun, type StoreOpenOptions } from '../../../src/store/history-store.js'

/** The repository root: the built package lives in `dist/` beside it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
/** The built entry point, for child processes that must load what users load. */
export const DIST_INDEX_URL = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href

export const NO_CODE: CodeState = { commit: null, dirty: false, branch: null, source: 'none' }

/**
 * Fresh temporary directories and stores for one test file. Stores opened through `open` are closed
 * before their directories are removed, after every test.
 */
export function useScratch(): { dir: (prefix?: string) => string; open: (dir: string, options: StoreOpenOptions) => HistoryStore } {
  const dirs: string[] = []
  const stores: HistoryStore[] = []
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir: (prefix = 'flakeline-core-') => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      dirs.push(dir)
      return dir
    },
    open: (dir, options) => {
      const store = HistoryStore.open(dir, options)
      stores.push(store)
      return store
    },
  }
}

export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    id: 'run',
    runner: 'vitest',
    runnerVersion: '4.1.12',
    flakelineVersion: '0.1.0',
    startedAt: Date.UTC(2026, 10, 22, 3, 45, 1),
    endedAt: null,
    code: NO_CODE,
    shard: null,
    workers: 2,
    status: 'running',
    files: 0,
    tests: 0,
    passed: 0,
    failed: 0,
    skipped: 0,
    todo: 0,
    flaky: 0,
    durationMs: 0,
    ...overrides,
  }
}

export function testRecord(name: string, status: TestStatus, overrides: Partial<TestRecord> = {}): TestRecord {
  const ran = status === 'passed' || status === 'failed'
  return {
    name,
    status,
    durationMs: ran ? 4 : null,
    startedAt: null,
    attempts: ran ? 1 : 0,
    attemptOutcomes: ran ? [status] : [],
    retryErrors: [],
    failureMessage: status === 'failed' ? `${name} failed` : null,
    location: null,
    ...overrides,
  }
}

export function fileResult(path: string, status: FileResult['status'], durationMs: number, tests: TestRecord[], startedAt = 1_000): FileResult {
  return { fileId: path, project: '', path, status, durationMs, startedAt, fileError: null, tests }
}

export function fileRecord(runSeq: number, path: string, status: FileRecord['status'], durationMs: number, tests: TestRecord[] = []): FileRecord {
  return { ...fileResult(path, status, durationMs, tests, 1_000 + runSeq), runSeq }
}

/** Records one finished run through the public store API, the way the recorder does. */
export async function recordRun(
  store: HistoryStore,
  files: ReadonlyArray<Omit<FileRecord, 'runSeq'>>,
  overrides: Partial<NewRun> = {},
): Promise<RunRecord> {
  const run = await store.beginRun(newRun(overrides))
  await store.recordFiles(files.map((file) => ({ ...file, runSeq: run.seq })))
  const tests = files.flatMap((file) => file.tests)
  const finished: RunRecord = {
    ...run,
    status: files.some((file) => file.status === 'failed') ? 'failed' : 'passed',
    endedAt: run.startedAt + 1_500,
    files: files.length,
    tests: tests.length,
    passed: tests.filter((test) => test.status === 'passed').length,
    failed: tests.filter((test) => test.status === 'failed').length,
    skipped: tests.filter((test) => test.status === 'skipped').length,
    todo: tests.filter((test) => test.status === 'todo').length,
    flaky: tests.filter((test) => test.status === 'passed' && test.attempts > 1).length,
    durationMs: 1_500,
    ...overrides,
  }
  await store.updateRun(finished)
  return finished
}

/** Writes one value into the store's `meta` database with lmdb itself, as another program would. */
export async function putMeta(dir: string, key: string, value: unknown): Promise<void> {
  const env = open({ path: join(dir, STORE_FILE), maxDbs: 12 })
  await env.openDB<unknown, string>({ name: 'meta' }).put(key, value)
  await env.close()
}

/** Runs an ES module script in a child `node` (written to `dir`), with the built index URL as argv[2]. */
export function runScript(dir: string, name: string, source: string, args: string[] = []): SpawnSyncReturns<string> {
  const file = join(dir, name)
  writeFileSync(file, source)
  return spawnSync(process.execPath, [file, DIST_INDEX_URL, ...args], { encoding: 'utf8', timeout: 60_000 })
}

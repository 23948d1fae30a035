import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open, type Database, type Key, type RootDatabase } from 'lmdb'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import type { FileHistory, FileRecord, HistoryEntry, RunRecord, TestHistory, TestRecord } from '../records.js'
import { MAX_FILE_ID_BYTES, fileIdFits, testKey } from './test-key.js'
import { FLAG_PARTIAL_DURATION, HistoryWindow } from './history-window.js'
import { recordProblem } from './record-checks.js'
import { isTrusted, markTrusted } from './trust-stamp.js'
import { fileEvidence, type FileEvidence } from '../scheduling/file-evidence.js'
import { PlanIndex, isStoredPlanIndex, packPlanIndex, unpackPlanIndex } from './plan-index.js'
import { AnalysisStore } from './analysis-store.js'
import { runTotals } from '../evidence/outcomes.js'
import { processGone } from '../core/process-identity.js'
import { META_LAYOUT, readMetaPages } from './lmdb-layout.js'
import { checkPages } from './page-check.js'

/** Schema of the records in the store; a store with a higher number is refused, not misread. */
/**
 * 2 (flakeline 0.2): file durations are the file's whole cost (Vitest's imports and setup too),
 * worker start-up is kept apart (`FileRecord.overheadMs`, `RunRecord.startup`), window entries carry
 * flags, repeated test names are told apart. Stores of schema 1 are migrated when opened for writing.
 */
export const SCHEMA_VERSION = 2

/** Free space below which the store refuses to write (LMDB grows its file by pages, and a run writes a few hundred KB). */
const MIN_FREE_BYTES = 1024 * 1024

/** Name of the LMDB file inside the store directory (LMDB adds `<name>-lock` beside it). */
export const STORE_FILE = 'history.mdb'

/** Every database of a store, for `doctor`'s record walk and `doctor --repair` (see `entriesOf`). */
export const STORE_DATABASES = ['meta', 'runs', 'fileRecords', 'files', 'tests', 'verdicts', 'runOrder'] as const
export type StoreDatabase = (typeof STORE_DATABASES)[number]

export interface StoreOpenOptions {
  /** Runs kept per file and per test, and run records kept. */
  historyLimit: number
  /** Open without creating or writing (CLI reads). */
  readOnly?: boolean
  /**
   * With `readOnly`: this process also writes the store (a runner process, where the reporter records
   * while the sequencer and the live hub read). lmdb-js shares one environment per file in a process, and
   * a writable open fails while a read-only one is open ("No transaction to renew"), so where the file
   * is writable it is opened as a writer opens it, and only read.
   */
  besideWriters?: boolean
}

/** A file's window as stored: identity plus the packed entries. */
interface StoredFile {
  project: string
  path: string
  window: Uint8Array
}

/** A test's window as stored. */
interface StoredTest {
  window: Uint8Array
  lastSeq: number
}

/** What a run looks like before the store gives it a sequence number. */
export type NewRun = Omit<RunRecord, 'seq'>

/** One past run for `importRuns`: the run record without its seq, and its files' results. */
export interface ImportedRun {
  run: NewRun
  files: ReadonlyArray<Omit<FileRecord, 'runSeq'>>
}

/** File records per write transaction of an import: bounded memory, and whole runs per transaction. */
const IMPORT_CHUNK_RECORDS = 250_000

export interface CompactionReport {
  runsRemoved: number
  fileRecordsRemoved: number
  testsRemoved: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * The store keeps its own `.gitignore` (`*`), so it never shows up in `git status` and users need
 * no install step that edits their `.gitignore` (appending to one without a final newline joins
 * two patterns into one that matches neither). Only a directory flakeline creates gets one: a
 * `dir` the user made (even the project root) is never touched.
 */
export function ignoreInGit(dir: string): void {
  try {
    writeFileSync(join(dir, '.gitignore'), '# flakeline\'s history store: local data, not source\n*\n', { flag: 'wx' })
  } catch {
    // Not writable: opening the store will say so.
  }
}

/** Stores up to this size are copied to be read from a read-only file system; larger ones are not read there. */
const READ_ONLY_COPY_MAX_BYTES = 512 * 1024 * 1024

/** LMDB could not set up its lock file: a read-only file system or a directory this user cannot write. */
function cannotLock(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error)
  return /Read-only file system|Permission denied|EROFS|EACCES/i.test(message)
}

/** A private copy of the data file to read from, or throws when it is too large to copy. */
function readableCopy(file: string): string {
  const size = statSync(file).size
  if (size > READ_ONLY_COPY_MAX_BYTES) {
    throw new FlakelineError(ErrorCodes.STORE_OPEN, `the store ${file} is on a read-only file system and too large (${size} bytes) to read from a copy`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'flakeline-read-only-'))
  copyFileSync(file, join(dir, STORE_FILE))
  return dir
}

/**
 * lmdb-js prints a failed commit's error itself (`console.error(error)` in its write callback), raw,
 * into the user's run, before flakeline can say what happened. flakeline reports it once, with a
 * code, so those prints (an Error whose stack is lmdb-js's own) are dropped; every other
 * `console.error` goes through untouched. Installed once per process.
 */
function quietLmdbLogs(): void {
  const key = Symbol.for('flakeline.quietLmdbLogs')
  const holder = globalThis as Record<symbol, boolean | undefined>
  if (holder[key]) return
  holder[key] = true
  const original = console.error.bind(console)
  console.error = (...args: unknown[]) => {
    const only = args.length === 1 ? args[0] : undefined
    if (only instanceof Error && /[\\/]lmdb[\\/](?:dist[\\/])?[\w.-]+\.c?js/.test(only.stack ?? '')) return
    original(...args)
  }
}

/**
 * lmdb-js rejects a failed commit with "Commit failed" and keeps the disk's own error on a promise
 * (`commitError`) that nobody awaits: left alone it becomes an unhandled rejection, which fails a
 * Vitest run and crashes Jest. It is awaited here (which handles it) to tell a full disk from
 * another failure.
 */
async function writeFailure(error: unknown, what: string, dir: string): Promise<FlakelineError> {
  const pending = (error as { commitError?: unknown } | null)?.commitError
  let cause = error
  if (pending instanceof Promise) {
    cause = await Promise.race([
      pending.then(
        () => error,
        (real: unknown) => real,
      ),
      new Promise<unknown>((resolve) => setTimeout(() => resolve(error), 1_000).unref()),
    ])
  }
  return writeFailureOf(cause, what, dir, error)
}

/** ENOSPC, an I/O error from the disk, or LMDB's map full. */
function isFull(error: unknown): boolean {
  const { code, errno, message } = (error ?? {}) as { code?: unknown; errno?: unknown; message?: unknown }
  return code === 'ENOSPC' || code === 'EIO' || code === 28 || code === 5 || errno === 28 || errno === -28 || (typeof message === 'string' && /MDB_MAP_FULL|No space left|Input\/output error/i.test(message))
}

function writeFailureOf(cause: unknown, what: string, dir: string, original: unknown = cause): FlakelineError {
  if (isFull(cause)) {
    return new FlakelineError(
      ErrorCodes.STORE_FULL,
      `the flakeline store at ${dir} is full (no space left on its disk, the disk failed the write, or LMDB's map is full): cannot write ${what}; free space, or point FLAKELINE_DIR elsewhere`,
      { cause },
    )
  }
  return asFlakelineError(original === cause ? cause : original, ErrorCodes.STORE_WRITE, `cannot write ${what} to the flakeline store at ${dir}`)
}

function isCorruption(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error)
  return /MDB_INVALID|MDB_CORRUPTED|MDB_PAGE_NOTFOUND|MDB_VERSION_MISMATCH|Unexpected end of|Data read, but end of buffer not reached|Invalid (?:typed|byte)|not an LMDB/i.test(message)
}

/** How long a short file may take to catch up with its meta pages while another process commits. */
const GROWTH_WAIT_MS = [20, 50, 100, 200]

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * LMDB trusts its file, and a foreign or truncated file crashes the process (a segmentation fault
 * or bus error, not an error), so both meta pages are checked before LMDB sees the file: the magic
 * number, a sane page size, and a file long enough for the pages its data needs. A writer in
 * another process may publish a meta before its file has grown, so a short file is re-checked for
 * a moment before it is called truncated. An empty file is a new store.
 */
function assertLooksLikeLmdb(file: string): void {
  if (!existsSync(file)) return
  const refuse = (why: string): never => {
    throw new FlakelineError(
      ErrorCodes.STORE_CORRUPT,
      `${file} is not a usable LMDB file (${why}); it is left untouched: flakeline doctor --repair sets it aside and starts a new store, or point FLAKELINE_DIR elsewhere`,
    )
  }
  for (let attempt = 0; ; attempt++) {
    const size = statSync(file).size
    if (size === 0) return
    const fd = openSync(file, 'r')
    try {
      const read = readMetaPages(fd)
      if (typeof read === 'string') return refuse(read)
      const { at, pageSize, metas } = read
      if (metas.length < 2) return refuse('second meta page missing')
      const lastPage = Math.min(...metas.map((page) => Number(page.readBigUInt64LE(at + META_LAYOUT.lastPage))))
      if (size >= (lastPage + 1) * pageSize) return
    } finally {
      closeSync(fd)
    }
    // LMDB never writes pages it freed in the transaction that took them, so a sound file can end
    // before its last page: short is truncated only when a page the data needs lies past the end.
    // A file flakeline closed itself ends where it did then; any other is walked (`page-check.ts`).
    if (isTrusted(file)) return
    const pastEnd = checkPages(file).pastEnd
    if (pastEnd === 0) return
    if (attempt >= GROWTH_WAIT_MS.length) return refuse(`truncated: ${size} bytes, ${pastEnd === 1 ? 'a page' : `${pastEnd} pages`} of its data past the end`)
    sleepSync(GROWTH_WAIT_MS[attempt]!)
  }
}

function copyBytes(value: Uint8Array): Uint8Array {
  // lmdb-js may hand out views into a reused read buffer; windows outlive the read.
  return Uint8Array.prototype.slice.call(value)
}

/**
 * The history of every run in one LMDB environment with msgpackr-encoded values.
 * Reads are synchronous; writes are batched into one transaction each, so two processes
 * writing at once both land (LMDB serialises writers across processes).
 */
export class HistoryStore {
  readonly dir: string
  readonly path: string
  readonly historyLimit: number
  private readonly root: RootDatabase
  private readonly meta: Database<unknown, string>
  private readonly runs: Database<RunRecord, number>
  private readonly fileRecords: Database<FileRecord, [string, number]>
  private readonly files: Database<StoredFile, string>
  private readonly tests: Database<StoredTest, [string, string]>
  private closed = false
  private analysisStore: AnalysisStore | undefined
  private readonly readOnly: boolean
  /** The analysis databases `database` opened (null: not in a read-only store). */
  private readonly opened = new Map<StoreDatabase, Database<unknown, Key> | null>()
  /** A write failed to commit (a full disk, an I/O error): the file is not stamped as flakeline's own at close. */
  private writeFailed = false
  /** The temporary copy a read-only file system made this store read from, removed on close. */
  private copy: string | null = null

  private constructor(dir: string, root: RootDatabase, historyLimit: number, readOnly = false) {
    this.readOnly = readOnly
    this.dir = dir
    this.path = join(dir, STORE_FILE)
    this.root = root
    this.historyLimit = historyLimit
    this.meta = root.openDB<unknown, string>({ name: 'meta' })
    this.runs = root.openDB<RunRecord, number>({ name: 'runs', sharedStructuresKey: Symbol.for('structures') })
    this.fileRecords = root.openDB<FileRecord, [string, number]>({ name: 'fileRecords', sharedStructuresKey: Symbol.for('structures') })
    this.files = root.openDB<StoredFile, string>({ name: 'files' })
    this.tests = root.openDB<StoredTest, [string, string]>({ name: 'tests' })
  }

  /** Verdicts, clusters, the meta-learner's state and the runs' file orders (see `AnalysisStore`). */
  get analysis(): AnalysisStore {
    this.ensureOpen()
    return (this.analysisStore ??= new AnalysisStore({
      root: this.root,
      readOnly: this.readOnly,
      meta: this.meta,
      read: (what, read) => this.read(what, read),
      write: (what, body) => this.write(what, body),
    }))
  }

  /** Whether a store exists in `dir` (without creating one). */
  static exists(dir: string): boolean {
    return existsSync(join(dir, STORE_FILE))
  }

  /**
   * Opens (and unless read-only, creates) the store in `dir`. Throws `FLAKELINE_E_STORE_OPEN`,
   * `FLAKELINE_E_STORE_CORRUPT` or `FLAKELINE_E_STORE_SCHEMA`; a corrupt store is left untouched.
   */
  static open(dir: string, options: StoreOpenOptions): HistoryStore {
    quietLmdbLogs()
    const file = join(dir, STORE_FILE)
    if (options.readOnly && !existsSync(file)) {
      throw new FlakelineError(ErrorCodes.STORE_OPEN, `no flakeline store at ${dir} (a run with the flakeline reporter creates it)`)
    }
    let root: RootDatabase | undefined
    try {
      assertLooksLikeLmdb(file)
      if (!options.readOnly && !existsSync(dir)) {
        mkdirSync(dir, { recursive: true })
        ignoreInGit(dir)
      }
      // No event-turn batching: every write is an explicit transaction, and lmdb-js's implicit batch
      // makes a promise nobody awaits, which a failed commit (a full disk) turns into an unhandled rejection.
      let copy: string | null = null
      const asWriter = !options.readOnly || options.besideWriters === true
      try {
        try {
          root = open({ path: file, maxDbs: 12, readOnly: !asWriter, eventTurnBatching: false })
        } catch (error) {
          // A reader that opened as a writer would, on a file it may not write: read-only after all.
          if (!options.readOnly || !asWriter || !cannotLock(error)) throw error
          root = open({ path: file, maxDbs: 12, readOnly: true, eventTurnBatching: false })
        }
      } catch (error) {
        // LMDB sets up its lock file even to read; on a read-only file system it cannot, so a reader
        // works from a copy of the data file in the system's temporary directory.
        if (cannotLock(error) && !options.readOnly) {
          throw new FlakelineError(ErrorCodes.STORE_OPEN, `the flakeline store at ${dir} is read-only (${error instanceof Error ? error.message : String(error)}): runs are ordered from it but not recorded`, { cause: error })
        }
        if (!options.readOnly || !cannotLock(error)) throw error
        copy = readableCopy(file)
        root = open({ path: join(copy, STORE_FILE), maxDbs: 12, readOnly: true, eventTurnBatching: false })
      }
      const store = new HistoryStore(dir, root, options.historyLimit, options.readOnly ?? false)
      store.copy = copy
      store.checkSchema(options.readOnly ?? false)
      return store
    } catch (error) {
      root?.close().catch(() => {})
      const code = isCorruption(error) ? ErrorCodes.STORE_CORRUPT : ErrorCodes.STORE_OPEN
      throw asFlakelineError(error, code, `cannot open the flakeline store at ${dir}`)
    }
  }

  private checkSchema(readOnly: boolean): void {
    let schema: unknown
    try {
      schema = this.meta.get('schema')
    } catch (error) {
      throw asFlakelineError(error, ErrorCodes.STORE_CORRUPT, `cannot read the flakeline store at ${this.dir}`)
    }
    if (schema === undefined) {
      if (!readOnly) this.meta.putSync('schema', SCHEMA_VERSION)
      return
    }
    if (typeof schema !== 'number') {
      throw new FlakelineError(ErrorCodes.STORE_CORRUPT, `the flakeline store at ${this.dir} has an unreadable schema marker`)
    }
    if (schema > SCHEMA_VERSION) {
      throw new FlakelineError(
        ErrorCodes.STORE_SCHEMA,
        `the flakeline store at ${this.dir} has schema ${schema}, newer than this flakeline understands (${SCHEMA_VERSION}); upgrade flakeline or use another dir`,
      )
    }
    if (schema === 1 && !readOnly) this.migrateFromSchema1()
  }

  /**
   * Schema 1 → 2, in one transaction. Vitest runs of schema 1 recorded a file's tests only, not its
   * imports and setup: their window entries are flagged, so predictions prefer whole-cost durations
   * as soon as a file has one (and use the old ones until then). The plan index is rebuilt on the
   * next read. Runs recorded by Jest and imported runs already measured whole files.
   */
  private migrateFromSchema1(): void {
    this.writeSync('the migration to schema 2', () => {
      const vitestRuns = new Set<number>()
      for (const { key, value } of this.runs.getRange()) if (value.runner === 'vitest') vitestRuns.add(key)
      if (vitestRuns.size > 0) {
        for (const { key, value } of this.files.getRange()) {
          this.files.put(key, { project: value.project, path: value.path, window: HistoryWindow.withFlag(value.window, vitestRuns, FLAG_PARTIAL_DURATION) })
        }
      }
      this.meta.remove('planIndex')
      this.meta.put('schema', SCHEMA_VERSION)
    })
  }

  /**
   * A write on a disk with less than `MIN_FREE_BYTES` left is refused before LMDB tries it: LMDB
   * would fail it anyway, and print its own raw "Write error" into the user's run first.
   */
  private ensureSpace(what: string): void {
    let free: number
    try {
      const stats = statfsSync(this.dir)
      free = stats.bavail * stats.bsize
    } catch {
      return
    }
    if (free < MIN_FREE_BYTES) {
      throw new FlakelineError(
        ErrorCodes.STORE_FULL,
        `the flakeline store at ${this.dir} is full (${free} bytes left on its disk): cannot write ${what}; free space, or point FLAKELINE_DIR elsewhere`,
      )
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new FlakelineError(ErrorCodes.STORE_CLOSED, `the flakeline store at ${this.dir} is closed`)
  }

  private read<T>(what: string, read: () => T): T {
    this.ensureOpen()
    try {
      return read()
    } catch (error) {
      throw asFlakelineError(error, ErrorCodes.STORE_CORRUPT, `cannot read ${what} from the flakeline store at ${this.dir}`)
    }
  }

  private async write<T>(what: string, body: () => T): Promise<T> {
    this.ensureOpen()
    this.ensureSpace(what)
    try {
      // lmdb-js keeps the puts of an async transaction whose callback throws; a child transaction
      // inside it is aborted instead, so a write that fails halfway leaves nothing behind.
      return await this.root.transaction(() => {
        const child = this.root.childTransaction(body)
        // Should lmdb-js reject the child's promise as well as the transaction's, it is handled.
        if (child instanceof Promise) child.catch(() => {})
        return child
      })
    } catch (error) {
      const failure = await writeFailure(error, what, this.dir)
      if (failure.code === ErrorCodes.STORE_FULL || failure.code === ErrorCodes.STORE_WRITE) this.writeFailed = true
      throw failure
    }
  }

  /**
   * A synchronous write transaction: puts apply directly instead of through the asynchronous
   * write queue, which is faster for the millions of puts of a bulk import.
   */
  private writeSync<T>(what: string, body: () => T): T {
    this.ensureOpen()
    this.ensureSpace(what)
    try {
      return this.root.transactionSync(body)
    } catch (error) {
      const failure = writeFailureOf(error, what, this.dir)
      if (failure.code === ErrorCodes.STORE_FULL || failure.code === ErrorCodes.STORE_WRITE) this.writeFailed = true
      throw failure
    }
  }

  /** Schema version stored in the environment. */
  schemaVersion(): number {
    return this.read('the schema', () => (this.meta.get('schema') as number | undefined) ?? SCHEMA_VERSION)
  }

  /** Records a run's start and gives it the next sequence number. */
  async beginRun(run: NewRun): Promise<RunRecord> {
    return this.write('a run', () => {
      const seq = ((this.meta.get('nextSeq') as number | undefined) ?? 1)
      this.meta.put('nextSeq', seq + 1)
      const record: RunRecord = { ...run, seq }
      this.runs.put(seq, record)
      return record
    })
  }

  /** Replaces a run record (its end, status and counts). */
  async updateRun(run: RunRecord): Promise<void> {
    await this.write('a run', () => {
      this.runs.put(run.seq, run)
    })
  }

  /**
   * Stores file results of one run in one transaction: the detail record of each file, and the
   * bounded windows of each file and test. Detail records that fall out of a window are removed.
   */
  async recordFiles(records: readonly FileRecord[]): Promise<void> {
    if (records.length === 0) return
    this.checkRecordable(records)
    await this.write(`${records.length} file results`, () => {
      for (const record of records) this.applyFileRecord(record)
    })
  }

  /**
   * Refuses, before anything is written, records the store cannot key: a write transaction that
   * fails halfway is not undone, so a bad record must never get that far.
   */
  private checkRecordable(records: ReadonlyArray<Pick<FileRecord, 'fileId'>>): void {
    for (const record of records) {
      if (!fileIdFits(record.fileId)) {
        throw new FlakelineError(
          ErrorCodes.STORE_WRITE,
          `cannot record ${record.fileId.slice(0, 60)}…: its id is ${Buffer.byteLength(record.fileId)} bytes, and the store keeps file ids of up to ${MAX_FILE_ID_BYTES}`,
        )
      }
    }
  }

  private applyFileRecord(record: FileRecord): void {
    const previous = this.files.get(record.fileId)
    const { bytes, dropped } = HistoryWindow.append(
      previous?.window,
      { seq: record.runSeq, status: record.status, durationMs: record.durationMs, startedAt: record.startedAt, attempts: 1, firstOnWorker: record.firstOnWorker === true },
      this.historyLimit,
    )
    this.files.put(record.fileId, { project: record.project, path: record.path, window: bytes })
    this.fileRecords.put([record.fileId, record.runSeq], record)
    for (const seq of dropped) this.fileRecords.remove([record.fileId, seq])
    for (const test of record.tests) this.applyTestRecord(record, test)
  }

  private applyTestRecord(file: FileRecord, test: TestRecord): void {
    const key = testKey(file.fileId, test.name)
    const previous = this.tests.get(key)
    const { bytes } = HistoryWindow.append(
      previous?.window,
      {
        seq: file.runSeq,
        status: test.status,
        durationMs: test.durationMs ?? 0,
        startedAt: test.startedAt ?? file.startedAt,
        attempts: test.attempts,
      },
      this.historyLimit,
    )
    // A run added out of order (a shard merged later) must not make the test look unseen since it.
    this.tests.put(key, { window: bytes, lastSeq: Math.max(previous?.lastSeq ?? 0, file.runSeq) })
  }

  /** Every run record, oldest first. */
  listRuns(): RunRecord[] {
    const runs = this.read('runs', () => Array.from(this.runs.getRange({}), ({ value }) => value))
    // A run whose process is gone reads as `incomplete` at once, even before a writer settles it.
    return runs.map((run) => (run.status === 'running' && processGone(run.owner) === true ? this.incomplete(run) : run))
  }

  /**
   * Runs still `running` whose recording process is gone (`isGone`, by process identity), as they
   * should now read: `incomplete`, with the totals and the end of the files they did record.
   */
  abandonedRuns(isGone: (owner: RunRecord['owner']) => boolean | null): RunRecord[] {
    const running = this.read('runs', () => Array.from(this.runs.getRange({}), ({ value }) => value).filter((run) => run.status === 'running'))
    return running.filter((run) => isGone(run.owner) === true).map((run) => this.incomplete(run))
  }

  private incomplete(run: RunRecord): RunRecord {
    const files = this.recordsOfRun(run.seq)
    const endedAt = files.reduce((latest, file) => Math.max(latest, file.startedAt + file.durationMs), run.startedAt)
    return { ...run, ...runTotals(files), status: 'incomplete', endedAt, durationMs: Math.max(0, endedAt - run.startedAt) }
  }

  /** Writes `abandonedRuns` back (a store opened for writing settles them when it next opens). */
  async settleAbandonedRuns(isGone: (owner: RunRecord['owner']) => boolean | null): Promise<RunRecord[]> {
    const settled = this.abandonedRuns(isGone)
    if (settled.length) {
      await this.write('the runs whose process is gone', () => {
        for (const run of settled) if (this.runs.get(run.seq)?.status === 'running') this.runs.put(run.seq, run)
      })
    }
    return settled
  }

  /** The newest `count` run records, newest first. */
  recentRuns(count: number): RunRecord[] {
    return this.read('runs', () => Array.from(this.runs.getRange({ reverse: true, limit: count }), ({ value }) => value))
  }

  /** The newest run record, if any. */
  latestRun(): RunRecord | undefined {
    return this.read('runs', () => {
      for (const { value } of this.runs.getRange({ reverse: true, limit: 1 })) return value
      return undefined
    })
  }

  /** The packed window of one file, for the planner. */
  fileWindow(fileId: string): HistoryWindow | undefined {
    return this.read(`the history of ${fileId}`, () => {
      const stored = this.files.get(fileId)
      return stored ? new HistoryWindow(copyBytes(stored.window)) : undefined
    })
  }

  /** Packed windows of every file with history, keyed by file id, for the planner. */
  fileWindows(): Map<string, HistoryWindow> {
    return this.read('file histories', () => {
      const windows = new Map<string, HistoryWindow>()
      for (const { key, value } of this.files.getRange({})) windows.set(key, new HistoryWindow(copyBytes(value.window)))
      return windows
    })
  }

  /**
   * Evidence of every file with history, for the planner: one read of the plan index. A store
   * without an index (one written before it existed) gets it computed from the windows.
   */
  planEvidence(): Map<string, FileEvidence> {
    return this.planIndex().evidence
  }

  /** The plan index: evidence by file id, and the project names that prefix file ids. */
  planIndex(): { evidence: Map<string, FileEvidence>; projects: string[] } {
    const index = this.readPlanIndex()
    return { evidence: index.toMap(), projects: [...index.projects] }
  }

  /**
   * The plan index as the sequencers read it: lookups by file id without unpacking every file, and
   * the suite model stored with it.
   */
  readPlanIndex(): PlanIndex {
    return this.read('the plan index', () => {
      const stored = this.meta.get('planIndex')
      if (isStoredPlanIndex(stored)) return new PlanIndex(stored)
      const projects = new Set<string>()
      return new PlanIndex(packPlanIndex(this.evidenceFromWindows(projects), projects))
    })
  }

  private evidenceFromWindows(projects?: Set<string>): Map<string, FileEvidence> {
    const evidence = new Map<string, FileEvidence>()
    for (const { key, value } of this.files.getRange({})) {
      evidence.set(key, fileEvidence(new HistoryWindow(copyBytes(value.window))))
      projects?.add(value.project)
    }
    return evidence
  }

  /**
   * Recomputes the plan index entries of `fileIds` from their windows, in one write. Called once
   * per run; a run killed before it leaves its files' entries one run behind until the next run.
   */
  async updatePlanIndex(fileIds: Iterable<string>): Promise<void> {
    await this.write('the plan index', () => this.applyPlanIndex(fileIds))
  }

  /**
   * Closes a run in one transaction (one commit, where separate writes would each wait for one):
   * its last file results, the plan index entries of every file it recorded, and its run record.
   */
  async finishRun(lastFiles: readonly FileRecord[], run: RunRecord, recordedFileIds: Iterable<string>, fileOrder: readonly string[] = []): Promise<void> {
    this.checkRecordable(lastFiles)
    await this.write(`the end of run ${run.id}`, () => {
      for (const record of lastFiles) this.applyFileRecord(record)
      this.applyPlanIndex(recordedFileIds)
      this.runs.put(run.seq, run)
      this.analysis.putRunOrder(run.seq, fileOrder.filter(fileIdFits))
    })
  }

  private applyPlanIndex(fileIds: Iterable<string>): void {
    const ids = Array.from(new Set(fileIds))
    const read = this.meta.get('planIndex')
    const stored = isStoredPlanIndex(read) ? read : undefined
    const projects = new Set<string>(stored?.projects ?? [])
    const evidence = stored ? unpackPlanIndex(stored) : this.evidenceFromWindows(projects)
    for (const id of ids) {
      const stored = fileIdFits(id) ? this.files.get(id) : undefined
      if (stored) {
        evidence.set(id, fileEvidence(new HistoryWindow(copyBytes(stored.window))))
        projects.add(stored.project)
      } else evidence.delete(id)
    }
    this.meta.put('planIndex', packPlanIndex(evidence, projects))
  }

  /**
   * Adds past runs (from `flakeline import`) in bulk: runs get the next sequence numbers in order,
   * each file's and test's window is extended once per transaction instead of once per run, and
   * the plan index is updated once at the end. Transactions hold whole runs (about
   * `IMPORT_CHUNK_RECORDS` file records each), so a failed import leaves whole runs or none.
   */
  async importRuns(runs: Iterable<ImportedRun>): Promise<RunRecord[]> {
    const imported: RunRecord[] = []
    const touched = new Set<string>()
    let chunk: ImportedRun[] = []
    let records = 0
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return
      const batch = chunk
      chunk = []
      records = 0
      for (const run of batch) this.checkRecordable(run.files)
      imported.push(...this.writeSync(`${batch.length} imported runs`, () => this.applyImport(batch, touched)))
      // Let other work (and the event loop) in between transactions.
      await new Promise((resolve) => setImmediate(resolve))
    }
    for (const run of runs) {
      chunk.push(run)
      records += run.files.length
      if (records >= IMPORT_CHUNK_RECORDS) await flush()
    }
    await flush()
    if (touched.size > 0) await this.updatePlanIndex(touched)
    return imported
  }

  private applyImport(batch: readonly ImportedRun[], touched: Set<string>): RunRecord[] {
    let seq = (this.meta.get('nextSeq') as number | undefined) ?? 1
    const files = new Map<string, { project: string; path: string; entries: HistoryEntry[] }>()
    const tests = new Map<string, { key: [string, string]; entries: HistoryEntry[] }>()
    const records: RunRecord[] = []
    for (const { run, files: results } of batch) {
      const record: RunRecord = { ...run, seq: seq++ }
      this.runs.put(record.seq, record)
      records.push(record)
      for (const result of results) {
        this.fileRecords.put([result.fileId, record.seq], { ...result, runSeq: record.seq })
        let file = files.get(result.fileId)
        if (!file) files.set(result.fileId, (file = { project: result.project, path: result.path, entries: [] }))
        file.entries.push({ seq: record.seq, status: result.status, durationMs: result.durationMs, startedAt: result.startedAt, attempts: 1, firstOnWorker: result.firstOnWorker === true })
        for (const test of result.tests) {
          const id = `${result.fileId}\u0000${test.name}`
          let entry = tests.get(id)
          if (!entry) tests.set(id, (entry = { key: testKey(result.fileId, test.name), entries: [] }))
          entry.entries.push({
            seq: record.seq,
            status: test.status,
            durationMs: test.durationMs ?? 0,
            startedAt: test.startedAt ?? result.startedAt,
            attempts: test.attempts,
          })
        }
      }
    }
    this.meta.put('nextSeq', seq)
    for (const [fileId, file] of files) {
      const { bytes, dropped } = HistoryWindow.appendMany(this.files.get(fileId)?.window, file.entries, this.historyLimit)
      this.files.put(fileId, { project: file.project, path: file.path, window: bytes })
      for (const old of dropped) this.fileRecords.remove([fileId, old])
      touched.add(fileId)
    }
    for (const { key, entries } of tests.values()) {
      const previous = this.tests.get(key)
      const { bytes } = HistoryWindow.appendMany(previous?.window, entries, this.historyLimit)
      this.tests.put(key, { window: bytes, lastSeq: Math.max(previous?.lastSeq ?? 0, entries[entries.length - 1]!.seq) })
    }
    return records
  }

  /**
   * Adds more results to a run already in the store (more shards of a job `flakeline merge` folded
   * into one run earlier), under the run's own seq, and replaces its record. Windows take the
   * entries in seq order (a run older than a window's newest is inserted, not appended) and the
   * plan index is updated, all in one transaction. A file the run already has is refused before
   * anything is written: a window must not hold one run twice.
   */
  async addToRun(run: RunRecord, files: ReadonlyArray<Omit<FileRecord, 'runSeq'>>): Promise<void> {
    const records = files.map((file): FileRecord => ({ ...file, runSeq: run.seq }))
    this.checkRecordable(records)
    await this.write(`more results of run ${run.id}`, () => {
      if (!this.runs.get(run.seq)) throw new Error(`run ${run.seq} is not in the store`)
      for (const record of records) {
        if (this.fileRecords.get([record.fileId, run.seq])) throw new Error(`run ${run.id} already has results of ${record.fileId}`)
      }
      for (const record of records) this.applyFileRecord(record)
      this.applyPlanIndex(records.map((record) => record.fileId))
      this.runs.put(run.seq, run)
    })
  }

  /** The highest run seq `flakeline export` has written to a bundle; 0 before the first export. */
  exportedThrough(): number {
    return this.read('the export marker', () => {
      const seq = this.meta.get('exportedThrough')
      return typeof seq === 'number' ? seq : 0
    })
  }

  /** Records that runs up to `seq` were exported; the marker never moves back. */
  async markExported(seq: number): Promise<void> {
    await this.write('the export marker', () => {
      const previous = this.meta.get('exportedThrough')
      if (typeof previous !== 'number' || previous < seq) this.meta.put('exportedThrough', seq)
    })
  }

  /** Every file with history. */
  listFiles(): FileHistory[] {
    return this.read('file histories', () =>
      Array.from(this.files.getRange({}), ({ key, value }) => ({
        fileId: key,
        project: value.project,
        path: value.path,
        entries: new HistoryWindow(copyBytes(value.window)).entries(),
      })),
    )
  }

  /** One file's history, or undefined. */
  fileHistory(fileId: string): FileHistory | undefined {
    return this.read(`the history of ${fileId}`, () => {
      const stored = this.files.get(fileId)
      if (!stored) return undefined
      return { fileId, project: stored.project, path: stored.path, entries: new HistoryWindow(copyBytes(stored.window)).entries() }
    })
  }

  /** A file's detail records (one per run still in its window), oldest first. */
  fileRecordsOf(fileId: string): FileRecord[] {
    return this.read(`the records of ${fileId}`, () =>
      Array.from(this.fileRecords.getRange({ start: [fileId, 0], end: [fileId, Number.MAX_SAFE_INTEGER] }), ({ value }) => value),
    )
  }

  /** One file's detail record of run `seq`, if kept. */
  fileRecord(fileId: string, seq: number): FileRecord | undefined {
    return this.read(`a record of ${fileId}`, () => (fileIdFits(fileId) ? this.fileRecords.get([fileId, seq]) : undefined))
  }

  /** The detail records of one run. */
  recordsOfRun(seq: number): FileRecord[] {
    return this.read(`the records of run ${seq}`, () => {
      const records: FileRecord[] = []
      for (const { key } of this.files.getRange({})) {
        const record = this.fileRecords.get([key, seq])
        if (record) records.push(record)
      }
      return records
    })
  }

  /** Tests of every file whose name contains `query`, with their histories. */
  findTests(query: string, limit = 50): TestHistory[] {
    return this.read('test histories', () => {
      const found: TestHistory[] = []
      for (const { key, value } of this.tests.getRange({})) {
        const [fileId, name] = key
        if (!name.includes(query) && `${fileId} > ${name}` !== query) continue
        found.push({ fileId, name, entries: new HistoryWindow(copyBytes(value.window)).entries() })
        if (found.length >= limit) break
      }
      return found
    })
  }

  /** Tests of one file with their histories. */
  testsOf(fileId: string): TestHistory[] {
    return this.read(`the tests of ${fileId}`, () =>
    {
      // Keys sort by UTF-8 bytes, so no string bounds every name: walk from the file and stop at the next one.
      const tests: TestHistory[] = []
      for (const { key, value } of this.tests.getRange({ start: [fileId] })) {
        if (key[0] !== fileId) break
        tests.push({ fileId, name: key[1], entries: new HistoryWindow(copyBytes(value.window)).entries() })
      }
      return tests
    })
  }

  /** One database by name; null for an analysis database a read-only store does not have yet. */
  private database(name: StoreDatabase): Database<unknown, Key> | null {
    const own: Partial<Record<StoreDatabase, Database<any, any>>> = { meta: this.meta, runs: this.runs, fileRecords: this.fileRecords, files: this.files, tests: this.tests }
    if (own[name]) return own[name] as Database<unknown, Key>
    // Opened once: opening a database again resets the read transaction a walk is iterating in.
    if (!this.opened.has(name)) {
      const exists = !this.readOnly || this.read('the databases', () => Array.from(this.root.getKeys({}), String)).includes(name)
      this.opened.set(name, exists ? this.root.openDB<unknown, Key>({ name }) : null)
    }
    return this.opened.get(name)!
  }

  /**
   * Runs `read` with the data file LMDB has open (the store's, or the copy a reader of a read-only
   * store works from) while this process holds a read transaction: writers in other processes then
   * leave the pages of the snapshot it began on alone, so `read` may read the file itself (`page-check.ts`).
   */
  whileSnapshotHeld<T>(read: (file: string) => T): T {
    this.ensureOpen()
    const txn = this.root.useReadTransaction()
    try {
      return read(this.copy ? join(this.copy, STORE_FILE) : this.path)
    } finally {
      txn.done()
    }
  }

  /**
   * The keys of one database in key order (from `start`), and what LMDB says it holds, read without checks, for
   * `doctor` and `doctor --repair`. A damaged page may throw here, or abort the process inside
   * LMDB: only a child process walks a store it does not trust (see `store/salvage.ts`).
   */
  keysOf(name: StoreDatabase, start?: Key): { declared: number; keys: Iterable<Key> } {
    this.ensureOpen()
    const db = this.database(name)
    return db ? { declared: db.getCount(), keys: db.getKeys(start === undefined ? {} : { start }) } : { declared: 0, keys: [] }
  }

  /** One value of a database as stored (decoded, unchecked); see `keysOf`. */
  valueOf(name: StoreDatabase, key: Key): unknown {
    this.ensureOpen()
    return this.database(name)?.get(key)
  }

  /**
   * Writes entries read from another store as they were, in one transaction: `doctor --repair`
   * fills a new store with what it salvaged (it checks every entry first, then rebuilds the plan
   * index with `updatePlanIndex`).
   */
  async restoreEntries(name: StoreDatabase, entries: ReadonlyArray<{ key: Key; value: unknown }>): Promise<void> {
    if (entries.length === 0) return
    await this.write(`${entries.length} salvaged ${name} records`, () => {
      const db = this.database(name)!
      for (const { key, value } of entries) db.put(key, value)
    })
  }

  /** Entry counts for `doctor`. */
  counts(): { runs: number; files: number; tests: number; fileRecords: number } {
    return this.read('counts', () => ({
      runs: this.runs.getCount(),
      files: this.files.getCount(),
      tests: this.tests.getCount(),
      fileRecords: this.fileRecords.getCount(),
    }))
  }

  /**
   * Reads every record in this process and returns what `recordProblem` finds wrong (empty when
   * healthy), at most 20. Only for a store flakeline trusts: `doctor` walks any other in a child
   * process (`store-walk.ts`), since LMDB can abort the process on a damaged page.
   */
  verify(): string[] {
    this.ensureOpen()
    const problems: string[] = []
    for (const name of STORE_DATABASES) {
      try {
        const { keys } = this.keysOf(name)
        for (const key of keys) {
          const problem = recordProblem(name, key, this.valueOf(name, key))
          if (problem) problems.push(`${name}: ${problem} at key ${JSON.stringify(key)}`)
          if (problems.length >= 20) return problems
        }
      } catch (error) {
        problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    return problems
  }

  /** Bytes the store takes on disk. */
  sizeOnDisk(): number {
    try {
      return statSync(this.path).size
    } catch {
      return 0
    }
  }

  /**
   * Drops everything older than the last `historyLimit` runs: run records, file detail records,
   * and tests not seen since (renamed or parameterised tests that no longer exist).
   */
  async compact(): Promise<CompactionReport> {
    const bytesBefore = this.sizeOnDisk()
    const seqs = this.read('runs', () => Array.from(this.runs.getKeys({})))
    const oldest = seqs.length > this.historyLimit ? seqs[seqs.length - this.historyLimit]! : (seqs[0] ?? 0)
    const report = await this.write('a compaction', () => {
      let runsRemoved = 0
      let fileRecordsRemoved = 0
      let testsRemoved = 0
      for (const seq of seqs) {
        if (seq >= oldest) break
        this.runs.remove(seq)
        runsRemoved++
      }
      for (const key of Array.from(this.fileRecords.getKeys({}))) {
        if (key[1] < oldest) {
          this.fileRecords.remove(key)
          fileRecordsRemoved++
        }
      }
      for (const { key, value } of Array.from(this.files.getRange({}))) {
        const kept = HistoryWindow.since(value.window, oldest)
        if (kept.byteLength === 0) this.files.remove(key)
        else if (kept.byteLength !== value.window.byteLength) this.files.put(key, { ...value, window: kept })
      }
      for (const { key, value } of Array.from(this.tests.getRange({}))) {
        if (value.lastSeq < oldest) {
          this.tests.remove(key)
          testsRemoved++
        } else {
          const kept = HistoryWindow.since(value.window, oldest)
          if (kept.byteLength !== value.window.byteLength) this.tests.put(key, { ...value, window: kept })
        }
      }
      const projects = new Set<string>()
      this.meta.put('planIndex', packPlanIndex(this.evidenceFromWindows(projects), projects))
      this.analysis.compact(oldest, (key) => this.tests.get(key) !== undefined)
      return { runsRemoved, fileRecordsRemoved, testsRemoved }
    })
    return { ...report, bytesBefore, bytesAfter: this.sizeOnDisk() }
  }

  /** Closes the environment; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.root.close()
      // A store flakeline wrote and closed cleanly is its own: the next run opens it without a check.
      if (!this.readOnly && !this.writeFailed) markTrusted(this.path)
    } finally {
      if (this.copy) rmSync(this.copy, { recursive: true, force: true })
    }
  }
}

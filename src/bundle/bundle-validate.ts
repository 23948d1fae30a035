import { SNAPSHOT_MAX_FILES } from '../core/changed-files.js'
import { fileIdOf, quotedText, relativePathProblem } from '../identity.js'
import type { AttemptOutcome, CodeState, DeadlineReport, FileRecord, RunRecord, ShardInfo, SourceLocation, SplitInfo, TestRecord, WorkerStartup } from '../records.js'
import { fileIdFits } from '../store/test-key.js'
import { BUNDLE_LIMITS, bundleError } from './bundle-limits.js'

/** One run in a bundle: its record without the store's seq (with its `uid`), and its files' results. */
export interface BundleRun {
  run: Omit<RunRecord, 'seq' | 'parts'> & { uid: string }
  files: Array<Omit<FileRecord, 'runSeq'>>
}

/** The body of a history bundle, as `flakeline export` writes it and `flakeline merge` reads it. */
export interface Bundle {
  createdAt: number
  flakelineVersion: string
  runs: BundleRun[]
}

/** Latest epoch millisecond a `Date` can hold. */
const MAX_TIME = 8.64e15
const CONTROL = /[\u0000-\u001f\u007f]/
const UID = /^[A-Za-z0-9._:-]{1,128}$/

function describe(value: unknown): string {
  if (typeof value === 'string') return quotedText(value)
  if (typeof value === 'bigint') return `${value} (a 64-bit integer)`
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/**
 * Reads the fields of one decoded object, each checked for type and bounds, into a fresh record:
 * nothing the file adds beyond the known fields reaches the store. Problems name the field's path
 * (`runs[2].files[5].path`) and what is wrong.
 */
class Fields {
  private readonly object: Record<string, unknown>

  constructor(
    readonly source: string,
    readonly where: string,
    value: unknown,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail(`${where} must be an object, got ${describe(value)}`)
    this.object = value as Record<string, unknown>
  }

  fail(message: string): Error {
    return bundleError(this.source, message)
  }

  private path(key: string): string {
    return `${this.where}.${key}`
  }

  has(key: string): boolean {
    return this.object[key] !== undefined && this.object[key] !== null
  }

  raw(key: string): unknown {
    return this.object[key]
  }

  child(key: string): Fields {
    return new Fields(this.source, this.path(key), this.object[key])
  }

  /** Another object of the same bundle, found at `where`. */
  at(where: string, value: unknown): Fields {
    return new Fields(this.source, where, value)
  }

  text(key: string, max: number, options: { empty?: boolean; control?: boolean } = {}): string {
    const value = this.object[key]
    if (typeof value !== 'string') throw this.fail(`${this.path(key)} must be a string, got ${describe(value)}`)
    if (value.length === 0 && !options.empty) throw this.fail(`${this.path(key)} must not be empty`)
    if (value.length > max) throw this.fail(`${this.path(key)} is longer than ${max} characters (${value.length})`)
    if (!options.control && CONTROL.test(value)) throw this.fail(`${this.path(key)} contains a control character: ${describe(value)}`)
    return value
  }

  textOrNull(key: string, max: number, options: { empty?: boolean; control?: boolean } = {}): string | null {
    return this.object[key] === null ? null : this.text(key, max, options)
  }

  integer(key: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
    const value = this.object[key]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw this.fail(`${this.path(key)} must be an integer from ${min} to ${max}, got ${describe(value)}`)
    }
    return value
  }

  number(key: string, max: number): number {
    const value = this.object[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw this.fail(`${this.path(key)} must be a number >= 0, got ${describe(value)}`)
    if (value > max) throw this.fail(`${this.path(key)} is more than ${max}`)
    return value
  }

  numberOrNull(key: string, max: number): number | null {
    return this.object[key] === null ? null : this.number(key, max)
  }

  boolean(key: string): boolean {
    const value = this.object[key]
    if (typeof value !== 'boolean') throw this.fail(`${this.path(key)} must be true or false, got ${describe(value)}`)
    return value
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.object[key]
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw this.fail(`${this.path(key)} must be one of ${allowed.join(', ')}, got ${describe(value)}`)
    }
    return value as T
  }

  /** The array at `key`, at most `max` long, each item read by `item`. */
  array<T>(key: string, max: number, item: (value: unknown, where: string) => T): T[] {
    const value = this.object[key]
    if (!Array.isArray(value)) throw this.fail(`${this.path(key)} must be an array, got ${describe(value)}`)
    if (value.length > max) throw this.fail(`${this.path(key)} has ${value.length} entries, more than the ${max} a bundle may hold`)
    return value.map((entry, index) => item(entry, `${this.path(key)}[${index}]`))
  }
}

function pathProblem(path: string): string | null {
  return relativePathProblem(path, BUNDLE_LIMITS.pathChars)
}

function relativePath(fields: Fields, key: string): string {
  const path = fields.text(key, BUNDLE_LIMITS.pathChars)
  const problem = pathProblem(path)
  if (problem) throw fields.fail(`${fields.where}.${key} ${problem}`)
  return path
}

function timestamp(fields: Fields, key: string): number {
  return fields.number(key, MAX_TIME)
}

function shardOf(fields: Fields): ShardInfo {
  const count = fields.integer('count', 1, 100_000)
  return { index: fields.integer('index', 1, count), count }
}

function splitOf(fields: Fields): SplitInfo {
  return {
    mode: fields.oneOf('mode', ['plan', 'job', 'runner'] as const),
    fingerprint: fields.text('fingerprint', BUNDLE_LIMITS.shortTextChars),
    filesListed: fields.integer('filesListed', 0),
    unplanned: fields.integer('unplanned', 0),
  }
}

function startupOf(fields: Fields): WorkerStartup {
  return { perWorkerMs: fields.number('perWorkerMs', BUNDLE_LIMITS.durationMs), perFileMs: fields.number('perFileMs', BUNDLE_LIMITS.durationMs) }
}

/** The work tree's uncommitted paths when the run started, with their content hashes (`plan` hashes them again). */
function changedFilesOf(fields: Fields): Record<string, string> {
  const value = fields.raw('changedFiles')
  const where = `${fields.where}.changedFiles`
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fields.fail(`${where} must be an object, got ${describe(value)}`)
  const entries = Object.entries(value)
  if (entries.length > SNAPSHOT_MAX_FILES) throw fields.fail(`${where} has ${entries.length} paths, more than the ${SNAPSHOT_MAX_FILES} a run keeps`)
  const changed: Record<string, string> = {}
  for (const [path, hash] of entries) {
    const problem = pathProblem(path)
    if (problem) throw fields.fail(`${where}: a path ${problem}`)
    if (typeof hash !== 'string' || hash.length > BUNDLE_LIMITS.shortTextChars || CONTROL.test(hash)) throw fields.fail(`${where}[${describe(path)}] must be a content hash, got ${describe(hash)}`)
    changed[path] = hash
  }
  return changed
}

function codeOf(fields: Fields): CodeState {
  return {
    commit: fields.textOrNull('commit', BUNDLE_LIMITS.shortTextChars),
    dirty: fields.boolean('dirty'),
    branch: fields.textOrNull('branch', BUNDLE_LIMITS.pathChars),
    source: fields.text('source', BUNDLE_LIMITS.shortTextChars),
  }
}

function deadlinesOf(fields: Fields): DeadlineReport {
  return {
    checked: fields.integer('checked', 0),
    missed: fields.array('missed', BUNDLE_LIMITS.filesPerRun, (value, where) => {
      const miss = fields.at(where, value)
      return { fileId: miss.text('fileId', BUNDLE_LIMITS.pathChars * 2 + 1), deadlineMs: miss.number('deadlineMs', MAX_TIME), finishedMs: miss.number('finishedMs', MAX_TIME) }
    }),
  }
}

function locationOf(fields: Fields, key: string): SourceLocation | null {
  if (fields.raw(key) === null) return null
  const location = fields.child(key)
  return { line: location.integer('line', 0), column: location.integer('column', 0) }
}

function testOf(fields: Fields): TestRecord {
  const attempts = BUNDLE_LIMITS.attempts
  const test: TestRecord = {
    name: fields.text('name', BUNDLE_LIMITS.testNameChars, { empty: true, control: true }),
    status: fields.oneOf('status', ['passed', 'failed', 'skipped', 'todo'] as const),
    durationMs: fields.numberOrNull('durationMs', BUNDLE_LIMITS.durationMs),
    startedAt: fields.raw('startedAt') === null ? null : timestamp(fields, 'startedAt'),
    attempts: fields.integer('attempts', 0, attempts),
    attemptOutcomes: fields.array('attemptOutcomes', attempts, (value, where): AttemptOutcome => {
      if (value !== 'passed' && value !== 'failed') throw fields.fail(`${where} must be passed or failed, got ${describe(value)}`)
      return value
    }),
    retryErrors: fields.array('retryErrors', attempts, (value, where) => {
      if (typeof value !== 'string') throw fields.fail(`${where} must be a string, got ${describe(value)}`)
      if (value.length > BUNDLE_LIMITS.messageChars) throw fields.fail(`${where} is longer than ${BUNDLE_LIMITS.messageChars} characters`)
      return value
    }),
    failureMessage: fields.textOrNull('failureMessage', BUNDLE_LIMITS.messageChars, { empty: true, control: true }),
    location: locationOf(fields, 'location'),
  }
  if (fields.has('timeoutMs')) test.timeoutMs = fields.number('timeoutMs', BUNDLE_LIMITS.durationMs)
  return test
}

function fileOf(fields: Fields): Omit<FileRecord, 'runSeq'> {
  const project = fields.text('project', BUNDLE_LIMITS.pathChars, { empty: true })
  const path = relativePath(fields, 'path')
  const fileId = fields.text('fileId', BUNDLE_LIMITS.pathChars * 2 + 1)
  if (fileId !== fileIdOf(project, path)) {
    throw fields.fail(`${fields.where}.fileId ${describe(fileId)} does not match its project ${describe(project)} and path ${describe(path)} (expected ${describe(fileIdOf(project, path))})`)
  }
  if (!fileIdFits(fileId)) throw fields.fail(`${fields.where}.fileId is longer than the store keeps (${Buffer.byteLength(fileId)} bytes)`)
  const file: Omit<FileRecord, 'runSeq'> = {
    fileId,
    project,
    path,
    status: fields.oneOf('status', ['passed', 'failed', 'skipped'] as const),
    durationMs: fields.number('durationMs', BUNDLE_LIMITS.durationMs),
    startedAt: timestamp(fields, 'startedAt'),
    fileError: fields.textOrNull('fileError', BUNDLE_LIMITS.messageChars, { empty: true, control: true }),
    tests: fields.array('tests', BUNDLE_LIMITS.testsPerFile, (value, where) => testOf(fields.at(where, value))),
  }
  if (fields.has('overheadMs')) file.overheadMs = fields.number('overheadMs', BUNDLE_LIMITS.durationMs)
  if (fields.has('firstOnWorker')) file.firstOnWorker = fields.boolean('firstOnWorker')
  return file
}

function runOf(fields: Fields): BundleRun['run'] {
  const short = BUNDLE_LIMITS.shortTextChars
  if (fields.has('parts')) throw fields.fail(`${fields.where}.parts: the run was made by flakeline merge; bundles hold recorded runs only`)
  const uid = fields.text('uid', short)
  if (!UID.test(uid)) throw fields.fail(`${fields.where}.uid must be 1 to 128 letters, digits, ".", "_", ":" or "-", got ${describe(uid)}`)
  const status = fields.oneOf('status', ['passed', 'failed', 'interrupted', 'running'] as const)
  if (status === 'running') throw fields.fail(`${fields.where}.status is running: bundles hold finished runs only`)
  const run: BundleRun['run'] = {
    // Imported runs keep the ids their history gave them, control characters too (output escapes them).
    id: fields.text('id', BUNDLE_LIMITS.pathChars, { control: true }),
    runner: fields.oneOf('runner', ['jest', 'vitest', 'import'] as const),
    runnerVersion: fields.text('runnerVersion', short, { empty: true }),
    flakelineVersion: fields.text('flakelineVersion', short),
    startedAt: timestamp(fields, 'startedAt'),
    endedAt: fields.raw('endedAt') === null ? null : timestamp(fields, 'endedAt'),
    code: codeOf(fields.child('code')),
    shard: fields.raw('shard') === null ? null : shardOf(fields.child('shard')),
    workers: fields.integer('workers', 0, 1_000_000),
    status,
    files: fields.integer('files', 0),
    tests: fields.integer('tests', 0),
    passed: fields.integer('passed', 0),
    failed: fields.integer('failed', 0),
    skipped: fields.integer('skipped', 0),
    todo: fields.integer('todo', 0),
    flaky: fields.integer('flaky', 0),
    durationMs: fields.number('durationMs', MAX_TIME),
    uid,
  }
  if (fields.has('deadlines')) run.deadlines = deadlinesOf(fields.child('deadlines'))
  if (fields.has('job')) run.job = fields.text('job', BUNDLE_LIMITS.pathChars)
  if (fields.has('split')) run.split = splitOf(fields.child('split'))
  if (fields.has('startup')) run.startup = startupOf(fields.child('startup'))
  if (fields.has('changedFiles')) run.changedFiles = changedFilesOf(fields)
  if (fields.has('changedSince')) {
    run.changedSince = fields.array('changedSince', SNAPSHOT_MAX_FILES, (value, where) => {
      const problem = typeof value === 'string' ? pathProblem(value) : 'is not a string'
      if (problem) throw fields.fail(`${where}: a path ${problem}`)
      return value as string
    })
  }
  return run
}

/**
 * Checks a decoded bundle body field by field and returns it rebuilt from the checked fields.
 * Throws `FLAKELINE_E_BUNDLE` naming `source`, the field and what is wrong with it; runs with the
 * same uid, or a file recorded twice in one run, are refused too.
 */
export function validateBundleBody(value: unknown, source: string): Bundle {
  const body = new Fields(source, 'bundle', value)
  const createdAt = timestamp(body, 'createdAt')
  const flakelineVersion = body.text('flakelineVersion', BUNDLE_LIMITS.shortTextChars)
  const uids = new Set<string>()
  const runs = body.array('runs', BUNDLE_LIMITS.runsPerBundle, (entry, where): BundleRun => {
    const fields = body.at(where, entry)
    const run = runOf(fields.child('run'))
    if (uids.has(run.uid)) throw body.fail(`${where}.run.uid ${describe(run.uid)} appears twice in the bundle`)
    uids.add(run.uid)
    const fileIds = new Set<string>()
    const files = fields.array('files', BUNDLE_LIMITS.filesPerRun, (file, at) => {
      const record = fileOf(fields.at(at, file))
      if (fileIds.has(record.fileId)) throw body.fail(`${at}.fileId ${describe(record.fileId)} appears twice in one run`)
      fileIds.add(record.fileId)
      return record
    })
    return { run, files }
  })
  return { createdAt, flakelineVersion, runs }
}

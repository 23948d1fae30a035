import type { FileStatus, TestStatus } from '../records.js'
import type { HistoryFile, HistoryRun, HistoryTest } from './history-run.js'
import { quotedText, shownText } from '../identity.js'
import { IMPORT_LIMITS, checkFileId, importError, importedPath, limitError } from './import-limits.js'
import { readLines } from './read-lines.js'

const FILE_STATUSES: readonly string[] = ['passed', 'failed', 'skipped']
const TEST_STATUSES: readonly string[] = ['passed', 'failed', 'skipped', 'todo']

/** Characters below space and DEL: refused in projects and commits, which bundles carry without them. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

function describe(value: unknown): string {
  if (typeof value === 'string') return quotedText(value)
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/**
 * Reads the NDJSON history form, one object per line:
 * `{"run": "<id>", "file": "<path>", "status": "passed|failed|skipped", "durationMs": 123}` with
 * optional `"test"` (the line is then one test of that file; `"status"` may also be `todo`),
 * `"commit"`, `"attempts"`, `"startedAt"` (epoch ms or ISO text), `"project"` and `"message"`.
 * Lines of one run are consecutive. Lines are fed one at a time; a finished run comes out when the
 * next run starts, and the last one from `end()`. Problems name the line and the field.
 */
export class NdjsonHistoryParser {
  private readonly source: string
  private readonly root: string | null
  private current: HistoryRun | null = null
  private currentFiles = new Map<string, HistoryFile>()
  private fileLines = new Set<string>()
  private testNames = new Set<string>()
  private readonly finished = new Set<string>()

  /**
   * `source` names the input in problems. With `root` (the package root), absolute paths inside it
   * are made relative; without it they are refused, as is every path that leaves the root.
   */
  constructor(source: string, options: { root?: string } = {}) {
    this.source = source
    this.root = options.root ?? null
  }

  /** Parses line `number`; returns the previous run when this line starts a new one. */
  push(text: string, number: number): HistoryRun | null {
    const where = `${this.source}:${number}`
    if (text.trim() === '') return null
    if (Buffer.byteLength(text) > IMPORT_LIMITS.lineBytes) throw limitError(where, `line longer than ${IMPORT_LIMITS.lineBytes} bytes`)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw importError(where, `not JSON (${shownText(error instanceof Error ? error.message : String(error), 200)})`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw importError(where, `expected an object, got ${describe(value)}`)
    const line = value as Record<string, unknown>
    const text_ = (field: string, max: number, required: boolean, control = false): string | null => {
      const v = line[field]
      if (v === undefined || v === null) {
        if (required) throw importError(where, `"${field}" is missing`)
        return null
      }
      if (typeof v !== 'string' || v.length === 0) throw importError(where, `"${field}" must be a non-empty string, got ${describe(v)}`)
      if (v.length > max) throw limitError(where, `"${field}" is longer than ${max} characters`)
      if (!control && CONTROL.test(v)) throw importError(where, `"${field}" contains a control character: ${describe(v)}`)
      return v
    }
    const runId = text_('run', IMPORT_LIMITS.pathChars, true, true)!
    const path = importedPath(text_('file', IMPORT_LIMITS.pathChars, true)!, this.root, where)
    const project = text_('project', IMPORT_LIMITS.pathChars, false) ?? ''
    checkFileId(project, path, where)
    const testName = text_('test', IMPORT_LIMITS.testNameChars, false, true)
    const commit = text_('commit', 128, false)
    const message = typeof line.message === 'string' ? line.message.slice(0, 100_000) : null
    const statuses = testName === null ? FILE_STATUSES : TEST_STATUSES
    if (typeof line.status !== 'string' || !statuses.includes(line.status)) {
      throw importError(where, `"status" must be one of ${statuses.join(', ')}, got ${describe(line.status)}`)
    }
    const status = line.status
    const durationMs = this.duration(line.durationMs, where)
    const startedAt = this.timestamp(line.startedAt, where)
    const attempts = this.attempts(line.attempts, status, where)

    let finishedRun: HistoryRun | null = null
    if (!this.current || this.current.id !== runId) {
      if (this.finished.has(runId)) throw importError(where, `lines of run ${describe(runId)} are not consecutive (it appeared earlier)`)
      finishedRun = this.end()
      this.current = { id: runId, commit, startedAt: null, source: 'ndjson', files: [] }
    } else if (commit !== null && this.current.commit !== null && commit !== this.current.commit) {
      throw importError(where, `run ${describe(runId)} has two commits, ${describe(this.current.commit)} and ${describe(commit)}`)
    }
    const run = this.current
    run.commit ??= commit
    if (startedAt !== null) run.startedAt = Math.min(run.startedAt ?? startedAt, startedAt)
    const key = `${project}\u0000${path}`
    let file = this.currentFiles.get(key)
    if (!file) {
      if (this.currentFiles.size >= IMPORT_LIMITS.filesPerRun) throw limitError(where, `run ${describe(runId)} has more than ${IMPORT_LIMITS.filesPerRun} files`)
      file = { project, path, status: null, durationMs: null, startedAt: null, tests: [] }
      this.currentFiles.set(key, file)
      run.files.push(file)
    }
    if (testName === null) {
      if (this.fileLines.has(key)) throw importError(where, `file ${describe(path)} appears twice in run ${describe(runId)}`)
      this.fileLines.add(key)
      file.status = status as FileStatus
      file.durationMs = durationMs
      file.startedAt = startedAt
    } else {
      const testKey = `${key}\u0000${testName}`
      if (this.testNames.has(testKey)) throw importError(where, `test ${describe(testName)} of ${describe(path)} appears twice in run ${describe(runId)}`)
      if (file.tests.length >= IMPORT_LIMITS.testsPerFile) throw limitError(where, `file ${describe(path)} has more than ${IMPORT_LIMITS.testsPerFile} tests in one run`)
      this.testNames.add(testKey)
      const test: HistoryTest = {
        name: testName,
        status: status as TestStatus,
        durationMs,
        startedAt,
        attempts,
        attemptOutcomes: null,
        failureMessage: status === 'failed' ? message : null,
      }
      file.tests.push(test)
    }
    return finishedRun
  }

  /** The run in progress, if any; call at the end of the input. */
  end(): HistoryRun | null {
    const run = this.current
    if (run) this.finished.add(run.id)
    this.current = null
    this.currentFiles = new Map()
    this.fileLines = new Set()
    this.testNames = new Set()
    return run
  }

  private duration(value: unknown, where: string): number | null {
    if (value === undefined || value === null) return null
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw importError(where, `"durationMs" must be a number of milliseconds >= 0, got ${describe(value)}`)
    if (value > IMPORT_LIMITS.durationMs) throw limitError(where, `"durationMs" is more than a week (${value})`)
    return value
  }

  private timestamp(value: unknown, where: string): number | null {
    if (value === undefined || value === null) return null
    const ms = typeof value === 'number' ? value : typeof value === 'string' && value.length <= 64 ? Date.parse(value) : Number.NaN
    if (!Number.isFinite(ms) || ms < 0 || ms > IMPORT_LIMITS.latestTime) throw importError(where, `"startedAt" must be epoch milliseconds or an ISO date from 1970 to 9999, got ${describe(value)}`)
    return ms
  }

  private attempts(value: unknown, status: string, where: string): number {
    const ran = status === 'passed' || status === 'failed'
    if (value === undefined || value === null) return ran ? 1 : 0
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 255) throw importError(where, `"attempts" must be an integer from 0 to 255, got ${describe(value)}`)
    return value as number
  }
}

/**
 * Every run of an NDJSON history file, in file order, read as a stream; problems name the file as
 * `name`. `root` as for `NdjsonHistoryParser`.
 */
export async function* readNdjsonHistory(path: string, name = path, options: { root?: string } = {}): AsyncGenerator<HistoryRun> {
  const parser = new NdjsonHistoryParser(name, options)
  for await (const { text, number } of readLines(path, IMPORT_LIMITS.lineBytes, name)) {
    const finished = parser.push(text, number)
    if (finished) yield finished
  }
  const last = parser.end()
  if (last) yield last
}

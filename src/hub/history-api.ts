import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { definitiveEvidence } from '../evidence/definitive-evidence.js'
import type { FileRecord, RunRecord } from '../records.js'
import { MODEL_LIMITS } from '../dashboard/live-model.js'
import type { RecordedRun } from '../dashboard/recorded-run.js'
import { runSummary } from '../cli/commands/stats.js'
import { HistoryStore } from '../store/history-store.js'
import { passedOnRetry } from '../evidence/outcomes.js'
import { MAX_VERDICTS } from '../dashboard/verdict-panel.js'
import { kindsOf, noVerdicts, verdictList } from './verdict-list.js'

/** Tests walked at most for the flaky list, so one request stays quick on a huge store. */
const MAX_TESTS_SCANNED = 50_000

/** An HTTP answer: status and a JSON body. */
export interface ApiAnswer {
  status: number
  body: unknown
}

function errorAnswer(status: number, error: FlakelineError): ApiAnswer {
  return { status, body: { error: { code: error.code, message: error.message } } }
}

function limitOf(url: URL, fallback: number, max: number): number {
  const text = url.searchParams.get('limit')
  if (text === null) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new FlakelineError(ErrorCodes.USAGE, `limit must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`)
  }
  return value
}

/** A run and its file records as the dashboard shows a recorded run (`GET /api/runs/latest`). */
export function recordedRun(run: RunRecord, records: FileRecord[]): RecordedRun {
  const files = [...records].sort((a, b) => a.startedAt - b.startedAt || a.path.localeCompare(b.path))
  const failures: RecordedRun['failures'] = []
  let failuresOmitted = 0
  const fail = (failure: RecordedRun['failures'][number]) => {
    if (failures.length < MODEL_LIMITS.failures) failures.push(failure)
    else failuresOmitted++
  }
  for (const file of files) {
    for (const test of file.tests) {
      if (test.status !== 'failed') continue
      fail({ fileId: file.fileId, path: file.path, name: test.name, failureMessage: test.failureMessage, location: test.location, durationMs: test.durationMs, attempts: test.attempts })
    }
  }
  // A file that failed outside any test (an import error, a failing hook) has no test to carry it.
  for (const file of files) {
    if (file.fileError) fail({ fileId: file.fileId, path: file.path, name: '', failureMessage: file.fileError, location: null, durationMs: file.durationMs, attempts: 1 })
  }
  return {
    run: runSummary(run),
    files: files.map((file) => ({
      fileId: file.fileId,
      path: file.path,
      status: file.status,
      startedAt: file.startedAt,
      durationMs: file.durationMs,
      tests: file.tests.length,
      failed: file.tests.filter((test) => test.status === 'failed').length,
    })),
    failures,
    failuresOmitted,
    flaky: files.flatMap((file) =>
      file.tests
        .filter((test) => passedOnRetry(test))
        .map((test) => ({ fileId: file.fileId, path: file.path, name: test.name, attemptOutcomes: test.attemptOutcomes, retryErrors: test.retryErrors })),
    ),
  }
}

/**
 * The hub's read-only history API over a store directory. The store is opened read-only on the
 * first request that finds it (a hub may start before the first run creates it) and kept open.
 */
export class HistoryApi {
  private readonly dir: string | null
  private store: HistoryStore | null = null
  private closed = false

  constructor(dir: string | null) {
    this.dir = dir
  }

  /** The store, or null while none exists yet in the directory (no run recorded: every list is empty). */
  private open(): HistoryStore | null {
    if (this.closed) throw new FlakelineError(ErrorCodes.HUB_CLOSED, 'the hub is closed')
    if (this.store) return this.store
    if (!this.dir) throw new FlakelineError(ErrorCodes.STORE_OPEN, 'this hub serves no store (start it with --dir)')
    if (!HistoryStore.exists(this.dir)) return null
    this.store = HistoryStore.open(this.dir, { historyLimit: 200, readOnly: true, besideWriters: true })
    return this.store
  }

  /** Answers `GET /api/...`; never throws. */
  answer(url: URL): ApiAnswer {
    try {
      const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent)
      const [resource, id, more] = parts
      if (resource === 'verdicts' && id === undefined) {
        const kinds = kindsOf(url)
        const limit = limitOf(url, MAX_VERDICTS, MAX_VERDICTS)
        const store = this.open()
        return { status: 200, body: store ? verdictList(store, kinds, limit) : noVerdicts(kinds) }
      }
      const store = this.open()
      if (!store) return this.empty(resource, id)
      if (resource === 'runs' && id === undefined) {
        const runs = store.listRuns()
        return { status: 200, body: { runs: runs.slice(-limitOf(url, 100, 10_000)).map(runSummary) } }
      }
      if (resource === 'runs' && id === 'latest' && more === undefined) return this.latest(store)
      if (resource === 'runs' && id !== undefined && more === undefined) return this.run(store, id)
      if (resource === 'flaky' && id === undefined) return { status: 200, body: { tests: this.flaky(store, limitOf(url, 100, 10_000)) } }
      if (resource === 'tests' && id === undefined) {
        const query = url.searchParams.get('q') ?? ''
        return { status: 200, body: { tests: store.findTests(query, limitOf(url, 50, 1000)) } }
      }
      if (resource === 'files' && id === undefined) {
        return {
          status: 200,
          body: {
            files: store.listFiles().map((file) => ({ fileId: file.fileId, project: file.project, path: file.path, last: file.entries.at(-1) ?? null })),
          },
        }
      }
      return errorAnswer(404, new FlakelineError(ErrorCodes.NOT_FOUND, `no such API path ${url.pathname}`))
    } catch (error) {
      const wrapped = asFlakelineError(error, ErrorCodes.STORE_CORRUPT, 'cannot read the store')
      const status = wrapped.code === ErrorCodes.USAGE ? 400 : wrapped.code === ErrorCodes.NOT_FOUND ? 404 : 503
      return errorAnswer(status, wrapped)
    }
  }

  private empty(resource: string | undefined, id: string | undefined): ApiAnswer {
    const lists: Record<string, string> = { runs: 'runs', flaky: 'tests', tests: 'tests', files: 'files' }
    const list = resource ? lists[resource] : undefined
    if (list && id === undefined) return { status: 200, body: { [list]: [] } }
    const what = id === 'latest' ? 'no run recorded yet' : id ? `no run ${JSON.stringify(id)} in the store` : 'no such API path'
    return errorAnswer(404, new FlakelineError(ErrorCodes.NOT_FOUND, what))
  }

  private run(store: HistoryStore, id: string): ApiAnswer {
    const runs = store.listRuns()
    const run = runs.find((candidate) => candidate.id === id || String(candidate.seq) === id)
    if (!run) return errorAnswer(404, new FlakelineError(ErrorCodes.NOT_FOUND, `no run ${JSON.stringify(id)} in the store`))
    return { status: 200, body: { run: runSummary(run), files: store.recordsOfRun(run.seq) } }
  }

  /**
   * The newest finished run (else the newest, still running or cut off) with what the dashboard
   * shows of a run: its files, its failures with messages and locations, and its tests that passed
   * on a retry.
   */
  private latest(store: HistoryStore): ApiAnswer {
    const runs = store.listRuns()
    const run = runs.findLast((candidate) => candidate.status !== 'running') ?? runs.at(-1)
    if (!run) return errorAnswer(404, new FlakelineError(ErrorCodes.NOT_FOUND, 'no run recorded yet'))
    return { status: 200, body: recordedRun(run, store.recordsOfRun(run.seq)) }
  }

  /** Tests with definitive flaky evidence, strongest first. */
  private flaky(store: HistoryStore, limit: number) {
    const runs = new Map<number, RunRecord>(store.listRuns().map((run) => [run.seq, run]))
    const found = []
    for (const test of store.findTests('', MAX_TESTS_SCANNED)) {
      const evidence = definitiveEvidence(test, runs)
      if (evidence.passedOnRetry === 0 && evidence.mixedOnSameCode === 0) continue
      const last = test.entries.at(-1)
      found.push({ fileId: test.fileId, name: test.name, ...evidence, lastSeq: last?.seq ?? null, lastStatus: last?.status ?? null })
    }
    found.sort((a, b) => b.passedOnRetry + b.mixedOnSameCode - (a.passedOnRetry + a.mixedOnSameCode) || b.failures - a.failures)
    return found.slice(0, limit)
  }

  /** Closes the store. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const store = this.store
    this.store = null
    await store?.close().catch(() => {})
  }
}

import { randomBytes } from 'node:crypto'
import { relative } from 'node:path'
import { detectCodeState } from '../code-state.js'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import type { ResolvedOptions } from '../config/load-options.js'
import type { FileRecord, RunRecord, RunStatus, RunnerName, ShardInfo } from '../records.js'
import { HistoryStore } from '../store/history-store.js'
import { ensureSound } from '../store/store-soundness.js'
import { FLAKELINE_VERSION } from '../version.js'
import { Notices } from './notices.js'
import { deadlineReport, type FileTiming } from './deadline-misses.js'
import { describeDuration } from '../scheduling/duration-text.js'
import { newRunId } from './run-id.js'
import { jobKeyOf } from './job-identity.js'
import { withDistinctNames } from '../identity.js'
import { addFileTotals, emptyTotals } from '../evidence/outcomes.js'
import { workerStartup, type FileStartup } from './worker-startup.js'
import { currentProcess, processGone } from './process-identity.js'
import { workTreeSnapshot } from './changed-files.js'
import { analyseRun, verdictLines, type VerdictChanges } from './run-analysis.js'
import { writeCiOutputs } from '../ci/ci-outputs.js'
import type { RanFile } from './test-cases.js'
import { takeChanges, takeSplit } from './run-handoff.js'
import { LivePublisher } from '../live/live-publisher.js'
import type { ConsoleEntry, KnownVerdict, StartedFile } from '../live/live-frames.js'

/** The stored record of a file result (field by field: a spread with more properties is slow in V8). */
function fileRecord(file: FileResult, runSeq: number): FileRecord {
  return {
    fileId: file.fileId,
    project: file.project,
    path: file.path,
    runSeq,
    status: file.status,
    durationMs: file.durationMs,
    startedAt: file.startedAt,
    fileError: file.fileError,
    tests: file.tests,
    overheadMs: file.overheadMs ?? 0,
    firstOnWorker: file.firstOnWorker === true,
  }
}

/** The run's job (see `jobKeyOf`), as a field to spread into the record only when there is one. */
function jobOf(runId: string | undefined): { job?: string } {
  const job = jobKeyOf(runId)
  return job ? { job } : {}
}

/** `file` with other test records (field by field, like `fileRecord`). */
function fileResultWith(file: FileResult, tests: FileResult['tests']): FileResult {
  return {
    fileId: file.fileId,
    project: file.project,
    path: file.path,
    status: file.status,
    durationMs: file.durationMs,
    startedAt: file.startedAt,
    fileError: file.fileError,
    tests,
    overheadMs: file.overheadMs ?? 0,
    firstOnWorker: file.firstOnWorker === true,
  }
}

/** What a reporter knows when the run starts. */
export interface RunStart {
  runner: RunnerName
  runnerVersion: string
  shard: ShardInfo | null
  workers: number
  startedAt?: number
}

/** A file result before the store gives the run its sequence number. */
export type FileResult = Omit<FileRecord, 'runSeq'>

/** Results wait at most this long, or until this many files, before one write transaction. */
const FLUSH_DELAY_MS = 250
const FLUSH_FILES = 64
/**
 * A batch's window updates run on the event loop the runner reports on (about 20-30 µs a test), so
 * a batch is also cut at this many tests: the reporter never holds the loop for more than a few ms.
 */
const FLUSH_TESTS = 200
/** Every this many runs the store drops what fell out of the history limit. */
const COMPACT_EVERY_RUNS = 50

/**
 * The runner-neutral core of both reporters: opens the store, records the run, batches file
 * results into write transactions, and closes the run. Never throws into the runner unless
 * `strict`; problems become one warning each and recording stops, the test run goes on.
 */
export class RunRecorder {
  readonly options: ResolvedOptions
  readonly notices: Notices
  private store: HistoryStore | null = null
  private run: RunRecord | null = null
  private readonly ready: Promise<void>
  private queue: FileResult[] = []
  private queuedTests = 0
  private timer: NodeJS.Timeout | null = null
  private writes: Promise<void> = Promise.resolve()
  private failure: FlakelineError | null = null
  /** Files the store refused while the rest of the run was recorded (strict mode raises it at the end). */
  private skippedFiles: FlakelineError | null = null
  private finished = false
  private readonly recordedFiles = new Set<string>()
  private readonly timings: FileTiming[] = []
  private readonly startups: FileStartup[] = []
  /** The tests each file ran, for the analysis after the run. */
  private readonly ran: RanFile[] = []
  private analysisProblem: FlakelineError | null = null
  private readonly totals = emptyTotals()
  private readonly runId: string
  /** Live frames for a hub (`serve` or `hub` options); null when streaming is off. */
  private readonly live: LivePublisher | null

  constructor(options: ResolvedOptions, start: RunStart, notices: Notices) {
    this.options = options
    this.notices = notices
    const startedAt = start.startedAt ?? Date.now()
    this.runId = options.runId ?? newRunId(startedAt)
    this.live = LivePublisher.open(options, { ...start, startedAt }, this.runId, notices)
    this.ready = this.begin({ ...start, startedAt }).catch((error: unknown) => this.fail(error, ErrorCodes.STORE_OPEN, 'cannot start recording'))
  }

  private async begin(start: RunStart): Promise<void> {
    const startedAt = start.startedAt ?? Date.now()
    const [code, changedFiles] = await Promise.all([
      detectCodeState(this.options.root),
      this.options.gitChanges ? workTreeSnapshot(this.options.root, this.options.dir) : Promise.resolve(undefined),
    ])
    await ensureSound(this.options.dir)
    this.store = HistoryStore.open(this.options.dir, { historyLimit: this.options.historyLimit })
    // A run whose process was killed stays `running` until a store opens that can tell it is gone.
    await this.store.settleAbandonedRuns((owner) => processGone(owner)).catch(() => [])
    this.run = await this.store.beginRun({
      id: this.runId,
      runner: start.runner,
      runnerVersion: start.runnerVersion,
      flakelineVersion: FLAKELINE_VERSION,
      startedAt,
      endedAt: null,
      code,
      shard: start.shard,
      workers: start.workers,
      status: 'running',
      files: 0,
      tests: 0,
      passed: 0,
      failed: 0,
      skipped: 0,
      todo: 0,
      flaky: 0,
      durationMs: 0,
      uid: randomBytes(8).toString('hex'),
      owner: currentProcess(),
      ...jobOf(this.options.runId),
      ...(changedFiles ? { changedFiles } : {}),
    })
  }

  /**
   * The flaky analysis of the tests that ran, before the store closes: verdicts stored, the few lines
   * of what changed printed, the verdicts published live. A failure or a timeout is one warning; the
   * previous verdicts stay and the run's outcome is untouched.
   */
  private async analyse(store: HistoryStore, run: RunRecord): Promise<VerdictChanges | null> {
    if (!this.options.analysis || this.ran.length === 0) return null
    try {
      const changes = await analyseRun(store, this.ran, run.seq, this.options.analysisTimeout)
      for (const line of verdictLines(changes)) this.notices.info(line)
      this.live?.verdicts([...changes.newlyFailing, ...changes.newlyFlaky, ...changes.recovered])
      return changes
    } catch (error) {
      const problem = asFlakelineError(error, ErrorCodes.ANALYSIS_WORKER, 'the flaky analysis failed')
      this.analysisProblem = problem
      this.notices.warn(problem)
      return null
    }
  }

  private fail(error: unknown, code: FlakelineError['code'], context: string): void {
    const wrapped = asFlakelineError(error, code, context)
    this.failure ??= wrapped
    this.notices.warn(wrapped)
  }

  /** The stored verdicts of a file's tests that are not `stable`, for live frames (only when streaming). */
  private knownVerdicts(result: FileResult): Map<string, KnownVerdict> {
    const known = new Map<string, KnownVerdict>()
    if (!this.live || !this.store || this.failure) return known
    try {
      for (const verdict of this.store.analysis.verdictsOfFile(result.fileId)) {
        // `new` says nothing yet, so only verdicts a person acts on travel with each test.
        if (verdict.verdict !== 'stable' && verdict.verdict !== 'new') known.set(verdict.test, { verdict: verdict.verdict, confidence: verdict.confidence })
      }
    } catch {
      // No verdicts to show; recording goes on.
    }
    return known
  }

  /** Whether recording still works (no store problem so far). */
  get healthy(): boolean {
    return this.failure === null
  }

  /** A file started running (for live progress; the store records files when they finish). */
  fileStarted(file: StartedFile): void {
    if (!this.finished) this.live?.fileStarted(file)
  }

  /** Console output of a test or file (published live; not stored). */
  consoleOutput(entry: ConsoleEntry): void {
    if (!this.finished) this.live?.console(entry)
  }

  /** Queues one file's results; they are written in a batch shortly after. */
  addFile(file: FileResult): void {
    if (this.finished) return
    // Two tests with one full name in a file would share one history (a stable and a broken test
    // looking like one flaky test): they are told apart before anything sees them.
    const tests = withDistinctNames(file.tests)
    const result = tests === file.tests ? file : fileResultWith(file, tests)
    this.live?.fileFinished(result, this.knownVerdicts(result))
    this.count(result)
    this.recordedFiles.add(result.fileId)
    this.timings.push({ fileId: result.fileId, path: result.path, startedAt: result.startedAt, durationMs: result.durationMs })
    this.ran.push({ fileId: result.fileId, path: result.path, tests: result.tests.map((test) => ({ name: test.name, status: test.status })) })
    this.startups.push({ fileId: result.fileId, startedAt: result.startedAt, durationMs: result.durationMs, overheadMs: result.overheadMs ?? 0, firstOnWorker: result.firstOnWorker === true })
    this.queue.push(result)
    this.queuedTests += result.tests.length
    if (this.queue.length >= FLUSH_FILES || this.queuedTests >= FLUSH_TESTS) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS)
  }

  private count(result: FileResult): void {
    addFileTotals(this.totals, result.tests)
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const batch = this.queue
    this.queue = []
    this.queuedTests = 0
    if (batch.length === 0) return
    this.writes = this.writes
      .then(() => this.ready)
      .then(async () => {
        if (!this.store || !this.run || this.failure) return
        const seq = this.run.seq
        await this.recordBatch(this.store, batch.map((file) => fileRecord(file, seq)))
      })
      .catch((error: unknown) => this.fail(error, ErrorCodes.STORE_WRITE, 'cannot record results'))
  }

  /**
   * Writes a batch of file results. When the store refuses the batch, each file is tried alone, so
   * one file the store cannot take costs only that file (warned, and raised at the end in strict
   * mode); when every file is refused, the store itself is failing and the error is thrown.
   */
  private async recordBatch(store: HistoryStore, records: FileRecord[]): Promise<void> {
    try {
      await store.recordFiles(records)
      return
    } catch (error) {
      if (records.length === 1) throw error
      const refused: string[] = []
      let reason: unknown = error
      for (const record of records) {
        try {
          await store.recordFiles([record])
        } catch (alone) {
          if (refused.length === 0) reason = alone
          refused.push(record.fileId)
        }
      }
      if (refused.length === records.length) throw reason
      this.refused(refused, records.length, reason)
    }
  }

  private refused(fileIds: readonly string[], of: number, reason: unknown): void {
    const problem = asFlakelineError(reason, ErrorCodes.STORE_WRITE, 'cannot record a file')
    const listed = `${fileIds.slice(0, 3).join(', ')}${fileIds.length > 3 ? ', …' : ''}`
    const skipped = new FlakelineError(ErrorCodes.STORE_WRITE, `${fileIds.length} of ${of} files could not be recorded (${listed}): ${problem.message}; the rest of the run is recorded`, {
      cause: reason,
    })
    this.skippedFiles ??= skipped
    this.notices.warn(skipped)
  }

  /**
   * Writes what is queued, closes the run record with its status and counts, and closes the store.
   * In strict mode rejects with the first problem met during the run.
   */
  async finish(status: Exclude<RunStatus, 'running'>, endedAt = Date.now()): Promise<RunRecord | null> {
    if (this.finished) return this.run
    this.finished = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    // The last files go in the run's closing transaction: one commit at the end, not three.
    const lastFiles = this.queue
    this.queue = []
    this.queuedTests = 0
    await this.writes
    await this.ready
    const store = this.store
    let run = this.run
    // The sequencer's split decision and changes (taken even when recording failed, so they never leak into a later run).
    const split = takeSplit(this.options.root)
    split?.touch?.()
    const changedSince = takeChanges(this.options.root)
    if (store && run && !this.failure) {
      const { owner: _owner, ...ended } = run
      run = { ...ended, ...this.totals, status, endedAt, durationMs: Math.max(0, endedAt - run.startedAt) }
      if (split && run.shard) {
        run.split = split.info
        if (!run.job && split.job) run.job = split.job
      }
      const deadlines = deadlineReport(this.timings, run.startedAt, this.options.root, this.options)
      if (deadlines) run.deadlines = deadlines
      const startup = workerStartup(this.startups, run.workers, { startedAt: run.startedAt, endedAt })
      if (startup) run.startup = startup
      if (changedSince) run.changedSince = changedSince
      this.run = run
      for (const miss of deadlines?.missed ?? []) {
        this.notices.info(`${miss.fileId} missed its deadline: finished at ${describeDuration(miss.finishedMs)}, deadline ${describeDuration(miss.deadlineMs)}`)
      }
      try {
        const last = lastFiles.map((file) => fileRecord(file, run!.seq))
        const order = this.timings
          .slice()
          .sort((a, b) => a.startedAt - b.startedAt)
          .map((timing) => timing.fileId)
        await store.finishRun(last, run, this.recordedFiles, order).catch(async (error: unknown) => {
          // The run's end must not be lost to one file the store refuses: write the files apart, then the end.
          if (last.length === 0) throw error
          let lost: unknown = null
          await this.recordBatch(store, last).catch((refused: unknown) => (lost = refused))
          // Throws when the store itself is failing; then the run's end is lost and warned as such.
          await store.finishRun([], run!, this.recordedFiles, order)
          if (lost) this.refused(last.map((file) => file.fileId), last.length, lost)
        })
        if (run.seq % COMPACT_EVERY_RUNS === 0) await store.compact()
      } catch (error) {
        this.fail(error, ErrorCodes.STORE_WRITE, 'cannot close the run record')
      }
      if (!this.failure) {
        const where = relative(this.options.root, store.dir) || store.dir
        const parts = [`${this.totals.files} files`, `${this.totals.tests} tests`]
        if (this.totals.failed) parts.push(`${this.totals.failed} failed`)
        if (this.totals.flaky) parts.push(`${this.totals.flaky} passed on retry`)
        this.notices.info(`recorded run ${run.id} (${parts.join(', ')}) in ${where}`)
        // GitHub annotations and job summary, the outcome for `flakeline run`: never throws (one warning).
        await writeCiOutputs(store, run, { options: this.options, notices: this.notices, changes: await this.analyse(store, run) })
      }
    }
    // The store first: a `serve` dashboard kept up after the run (see keepDashboardUp) holds the end of
    // the run until the user stops it, and must not hold the store with it.
    await store?.close().catch(() => {})
    const liveProblem = this.live
      ? await this.live.finish({ id: run?.id ?? null, ...this.totals, status, endedAt, deadlines: run?.deadlines })
      : null
    Notices.endRun()
    if (this.failure && this.options.strict) throw this.failure
    if (this.skippedFiles && this.options.strict) throw this.skippedFiles
    if (this.analysisProblem && this.options.strict) throw this.analysisProblem
    if (liveProblem && this.options.strict) throw liveProblem
    return this.failure ? null : run
  }
}

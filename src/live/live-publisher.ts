import { randomBytes } from 'node:crypto'
import type { ResolvedOptions } from '../config/load-options.js'
import type { FileResult, RunStart } from '../core/run-recorder.js'
import type { Notices } from '../core/notices.js'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import type { DataChannel } from '../transport/protocol.js'
import { FLAKELINE_VERSION } from '../version.js'
import {
  consolePayload,
  fileStartPayload,
  filePayload,
  flakyPayload,
  runEndPayload,
  runStartPayload,
  testPayload,
  type ConsoleEntry,
  type LiveOrigin,
  type RunSummary,
  type StartedFile,
} from './live-frames.js'
import { liveRunKey } from './live-run-key.js'
import { openLiveSink, type LiveSink } from './live-sinks.js'
import { passedOnRetry } from '../evidence/outcomes.js'
import type { Verdict } from '../verdicts/types.js'
import { verdictPayload, type KnownVerdict } from './live-frames.js'

/**
 * The reporter's side of live streaming: turns what the recorder sees into frames on the `run`,
 * `results`, `console` and `analysis` channels, for an in-process hub (`serve`) or a remote one
 * (`hub`). Every method returns at once and never throws; the first problem is warned once and,
 * in strict mode, returned by `finish` for the recorder to raise.
 */
export class LivePublisher {
  private readonly sink: LiveSink
  private readonly origin: LiveOrigin
  private readonly notices: Notices
  private readonly startedAt: number
  /** Lanes in use: a file takes the lowest free lane when it starts, a picture of the workers. */
  private readonly lanes = new Map<string, number>()
  private readonly busyLanes = new Set<number>()
  private problem: FlakelineError | null = null
  private finished = false

  private constructor(sink: LiveSink, origin: LiveOrigin, notices: Notices, startedAt: number) {
    this.sink = sink
    this.origin = origin
    this.notices = notices
    this.startedAt = startedAt
  }

  /**
   * A publisher for this run, or null when neither `serve` nor `hub` is set. The rules between the
   * options are checked here, once: `serve` and `hub` exclude each other, `hub` needs `token`.
   * In strict mode a broken rule throws; otherwise it is warned and live streaming is off.
   */
  static open(options: ResolvedOptions, start: RunStart, runId: string, notices: Notices, env: NodeJS.ProcessEnv = process.env): LivePublisher | null {
    const serve = options.serve ?? false
    if (serve === false && !options.hub) return null
    let problem: FlakelineError | null = null
    if (serve !== false && options.hub) problem = new FlakelineError(ErrorCodes.CONFIG, 'options.serve and options.hub (FLAKELINE_HUB) cannot both be set: serve a hub here, or publish to one')
    else if (options.hub && !options.token) problem = new FlakelineError(ErrorCodes.CONFIG, 'options.hub (FLAKELINE_HUB) needs a valid options.token (FLAKELINE_TOKEN): none is set, or the one set was refused (see above); the run is not published live')
    if (problem) {
      if (options.strict) throw problem
      notices.warn(problem)
      return null
    }
    const startedAt = start.startedAt ?? Date.now()
    const run = liveRunKey(options.runId, runId, env)
    const shard = start.shard
    // Unique per process even when every shard shares the run id, and stable across reconnects.
    const publisher = `${runId.slice(0, 96)}.${shard ? `s${shard.index}of${shard.count}.` : ''}${randomBytes(3).toString('hex')}`
    const origin: LiveOrigin = { run, publisher, shard }
    let live: LivePublisher | null = null
    const sink = openLiveSink(options, publisher, start.runner, notices, (error) => live?.report(error))
    live = new LivePublisher(sink, origin, notices, startedAt)
    live.send('run', 'run.start', runStartPayload(origin, start, FLAKELINE_VERSION, startedAt))
    return live
  }

  private report(error: FlakelineError): void {
    if (this.problem) return
    this.problem = error
    this.notices.warn(error)
  }

  private send(channel: DataChannel, type: string, payload: unknown): void {
    if (this.finished) return
    try {
      this.sink.publish(channel, type, payload)
    } catch (error) {
      this.report(asFlakelineError(error, ErrorCodes.REPORTER, 'cannot publish a live frame'))
    }
  }

  /** A file started running. */
  fileStarted(file: StartedFile): void {
    let lane = 0
    while (this.busyLanes.has(lane)) lane++
    this.busyLanes.add(lane)
    this.lanes.set(file.fileId, lane)
    this.send('run', 'file.start', fileStartPayload(this.origin, file, lane, Date.now()))
  }

  /**
   * A file finished: one `test` frame per test (with its stored verdict when it has one, so a live
   * run marks known-flaky tests as they finish), then the `file` frame, then flaky evidence.
   */
  fileFinished(result: FileResult, known: ReadonlyMap<string, KnownVerdict> = new Map()): void {
    const lane = this.lanes.get(result.fileId) ?? null
    if (lane !== null) {
      this.busyLanes.delete(lane)
      this.lanes.delete(result.fileId)
    }
    for (const test of result.tests) {
      const payload = testPayload(this.origin, result, test)
      const verdict = known.get(test.name)
      this.send('results', 'test', verdict ? { ...payload, known: verdict } : payload)
    }
    this.send('results', 'file', filePayload(this.origin, result, lane))
    for (const test of result.tests) {
      if (passedOnRetry(test)) this.send('analysis', 'flaky', flakyPayload(this.origin, result, test))
    }
  }

  /** The verdicts that changed with this run's analysis, on the `analysis` channel. */
  verdicts(verdicts: readonly Verdict[]): void {
    for (const verdict of verdicts) this.send('analysis', 'verdict', verdictPayload(this.origin, verdict))
  }

  /** Console output of a test or file. */
  console(entry: ConsoleEntry): void {
    this.send('console', 'log', consolePayload(this.origin, entry, Date.now()))
  }

  /**
   * Publishes the end of the run (and its deadline misses), lets the frames reach the hub within a
   * bounded time, and closes. Returns the first problem met, for strict mode; never rejects.
   */
  async finish(summary: Omit<RunSummary, 'startedAt'>): Promise<FlakelineError | null> {
    if (this.finished) return this.problem
    const full = { ...summary, startedAt: this.startedAt }
    for (const miss of full.deadlines?.missed ?? []) this.send('analysis', 'deadline.miss', { ...this.origin, ...miss })
    this.send('run', 'run.end', runEndPayload(this.origin, full))
    this.finished = true
    const problem = await this.sink.close().catch((error: unknown) => asFlakelineError(error, ErrorCodes.HUB_UNREACHABLE, 'cannot close the live connection'))
    if (problem) this.report(problem)
    return this.problem
  }
}

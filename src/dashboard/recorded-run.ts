/**
 * A run read back from the store (`GET /api/runs/latest`) and its view on the page: the dashboard
 * opened after a run shows it like a finished live run, marked as recorded. Pure, no DOM and no
 * Node: the hub builds the answer, the browser bundle and Node tests read it.
 */
import { MODEL_LIMITS, type FlakyEvidence, type LaneSpan, type LiveTest, type RunView, type ShardView } from './live-model.js'

/** The body of `GET /api/runs/latest` (and the run fields of `GET /api/runs/:id`). */
export interface RecordedRun {
  run: {
    id: string
    seq: number
    runner: string
    runnerVersion: string
    /** ISO 8601. */
    startedAt: string
    endedAt: string | null
    status: 'running' | 'passed' | 'failed' | 'interrupted' | 'incomplete'
    shard: string | null
    workers: number
    files: number
    tests: number
    passed: number
    failed: number
    skipped: number
    todo: number
    flaky: number
    durationMs: number
    deadlineMisses: Array<{ file: string; deadlineMs: number; finishedMs: number }>
  }
  /** Every file of the run, in the order they started. */
  files: Array<{ fileId: string; path: string; status: 'passed' | 'failed' | 'skipped'; startedAt: number; durationMs: number; tests: number; failed: number }>
  /** Failed tests, then files that failed outside any test (`name` is empty), at most `MODEL_LIMITS.failures`. */
  failures: Array<{ fileId: string; path: string; name: string; failureMessage: string | null; location: { line: number; column: number } | null; durationMs: number | null; attempts: number }>
  /** Failures left out by the limit. */
  failuresOmitted: number
  /** Tests that failed and then passed on a retry in this run. */
  flaky: Array<{ fileId: string; path: string; name: string; attemptOutcomes: string[]; retryErrors: string[] }>
}

/**
 * Lanes for the timeline, from each file's start and duration: a file takes the lowest lane free
 * when it starts, as the live publisher assigns them. The store does not say which worker ran a
 * file, so these are lanes, not workers.
 */
export function recordedLanes(files: RecordedRun['files']): LaneSpan[] {
  const ends: number[] = []
  const spans: LaneSpan[] = []
  for (const file of [...files].sort((a, b) => a.startedAt - b.startedAt)) {
    const end = file.startedAt + Math.max(0, file.durationMs)
    let lane = ends.findIndex((busyUntil) => busyUntil <= file.startedAt)
    if (lane === -1) lane = ends.push(end) - 1
    else ends[lane] = end
    spans.push({ lane: `lane ${lane + 1}`, fileId: file.fileId, path: file.path, start: file.startedAt, end, status: file.status })
  }
  return spans
}

/** The page's view of a recorded run: what a finished live run would show, with `source: 'recorded'`. */
export function recordedRunView(recorded: RecordedRun): RunView {
  const { run } = recorded
  const startedAt = Date.parse(run.startedAt)
  const endedAt = run.endedAt ? Date.parse(run.endedAt) : null
  const shard: ShardView = {
    publisher: 'store',
    shard: null,
    status: run.status === 'incomplete' ? 'interrupted' : run.status,
    runner: run.runner,
    runnerVersion: run.runnerVersion,
    storeRunId: run.id,
  }
  const failures: LiveTest[] = recorded.failures.slice(0, MODEL_LIMITS.failures).map((failure) => ({
    fileId: failure.fileId,
    path: failure.path,
    name: failure.name,
    status: 'failed',
    durationMs: failure.durationMs,
    attempts: failure.attempts,
    failureMessage: failure.failureMessage,
    location: failure.location,
    retryErrors: [],
    known: null,
  }))
  const flaky: FlakyEvidence[] = recorded.flaky.map((test) => ({
    fileId: test.fileId,
    path: test.path,
    name: test.name,
    evidence: 'passed-on-retry',
    attempts: test.attemptOutcomes.length,
    attemptOutcomes: test.attemptOutcomes,
  }))
  return {
    key: run.id,
    source: 'recorded',
    startedAt,
    endedAt,
    shards: new Map([[shard.publisher, shard]]),
    filesStarted: run.files,
    filesDone: run.files,
    counts: { passed: run.passed, failed: run.failed, skipped: run.skipped, todo: run.todo },
    tests: new Map(),
    failures,
    flaky,
    knownRan: new Map(),
    verdicts: [],
    lanes: recordedLanes(recorded.files),
    deadlineMisses: run.deadlineMisses.map((miss) => ({ fileId: miss.file, deadlineMs: miss.deadlineMs, finishedMs: miss.finishedMs })),
    console: [],
    consoleDropped: 0,
    gaps: 0,
  }
}

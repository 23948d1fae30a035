import type { Verdict } from '../verdicts/types.js'
import type { FileResult, RunStart } from '../core/run-recorder.js'
import type { DeadlineReport, RunStatus, ShardInfo, TestRecord } from '../records.js'

/** Console text longer than this is cut, so one chatty test cannot make an oversized frame. */
export const MAX_CONSOLE_TEXT = 16 * 1024

/** What every live payload says about where it comes from. */
export interface LiveOrigin {
  /** The run key: the same for every shard of one CI job (see `liveRunKey`). */
  run: string
  /** The publishing process, stable across its reconnects. */
  publisher: string
  shard: ShardInfo | null
}

/** Totals and status at the end of a run, as the recorder counted them. */
export interface RunSummary {
  /** The store's run id, when the run was recorded. */
  id: string | null
  status: Exclude<RunStatus, 'running'>
  endedAt: number
  startedAt: number
  files: number
  tests: number
  passed: number
  failed: number
  skipped: number
  todo: number
  flaky: number
  deadlines?: DeadlineReport
}

/** A file the runner started. */
export interface StartedFile {
  fileId: string
  project: string
  path: string
}

/** One line (or chunk) of a test's console output. */
export interface ConsoleEntry {
  stream: 'stdout' | 'stderr'
  text: string
  fileId?: string | null
  path?: string | null
  test?: string | null
}

/*
 * Payloads are built field by field, not as `{ ...origin, ... }`: V8 (Node 20) takes a slow path
 * for a spread followed by more properties, about 20 times slower, and these run per test.
 */

export function runStartPayload(origin: LiveOrigin, start: RunStart, flakeline: string, startedAt: number) {
  return { run: origin.run, publisher: origin.publisher, shard: origin.shard, runner: start.runner, runnerVersion: start.runnerVersion, workers: start.workers, startedAt, flakeline }
}

export function fileStartPayload(origin: LiveOrigin, file: StartedFile, lane: number, at: number) {
  return { run: origin.run, publisher: origin.publisher, shard: origin.shard, fileId: file.fileId, project: file.project, path: file.path, lane, at }
}

export function testPayload(origin: LiveOrigin, file: FileResult, test: TestRecord) {
  return {
    run: origin.run,
    publisher: origin.publisher,
    shard: origin.shard,
    fileId: file.fileId,
    path: file.path,
    name: test.name,
    status: test.status,
    durationMs: test.durationMs,
    startedAt: test.startedAt,
    attempts: test.attempts,
    attemptOutcomes: test.attemptOutcomes,
    retryErrors: test.retryErrors,
    failureMessage: test.failureMessage,
    location: test.location,
  }
}

export function filePayload(origin: LiveOrigin, file: FileResult, lane: number | null) {
  let passed = 0
  let failed = 0
  for (const test of file.tests) {
    if (test.status === 'passed') passed++
    else if (test.status === 'failed') failed++
  }
  return {
    run: origin.run,
    publisher: origin.publisher,
    shard: origin.shard,
    fileId: file.fileId,
    project: file.project,
    path: file.path,
    status: file.status,
    startedAt: file.startedAt,
    durationMs: file.durationMs,
    fileError: file.fileError,
    lane,
    tests: file.tests.length,
    passed,
    failed,
    skipped: file.tests.length - passed - failed,
  }
}

/** A test that failed and passed on a retry in this run: the definitive flaky evidence of one run. */
export function flakyPayload(origin: LiveOrigin, file: FileResult, test: TestRecord) {
  return {
    run: origin.run,
    publisher: origin.publisher,
    shard: origin.shard,
    fileId: file.fileId,
    path: file.path,
    name: test.name,
    evidence: 'passed-on-retry',
    attempts: test.attempts,
    attemptOutcomes: test.attemptOutcomes,
    retryErrors: test.retryErrors,
  }
}

/** A test's stored verdict, shown beside it in a live run. */
export interface KnownVerdict {
  verdict: Verdict['verdict']
  confidence: number
}

/** A verdict that changed with a run's analysis: what it is, how sure, and its strongest evidence. */
export function verdictPayload(origin: LiveOrigin, verdict: Verdict) {
  return {
    run: origin.run,
    publisher: origin.publisher,
    shard: origin.shard,
    fileId: verdict.fileId,
    name: verdict.test,
    verdict: verdict.verdict,
    confidence: verdict.confidence,
    evidence: verdict.evidence.slice(0, 3).map((evidence) => ({ signal: evidence.signal, value: evidence.value, detail: evidence.detail })),
  }
}

export function consolePayload(origin: LiveOrigin, entry: ConsoleEntry, at: number) {
  const text = entry.text.length > MAX_CONSOLE_TEXT ? `${entry.text.slice(0, MAX_CONSOLE_TEXT)}… (cut)` : entry.text
  return { run: origin.run, publisher: origin.publisher, shard: origin.shard, fileId: entry.fileId ?? null, path: entry.path ?? null, test: entry.test ?? null, stream: entry.stream, text, at }
}

export function runEndPayload(origin: LiveOrigin, summary: RunSummary) {
  return { ...origin, ...summary, durationMs: Math.max(0, summary.endedAt - summary.startedAt), deadlines: summary.deadlines ?? null }
}

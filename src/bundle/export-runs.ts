import { createHash } from 'node:crypto'
import type { FileRecord, RunRecord, TestRecord } from '../records.js'
import type { HistoryStore } from '../store/history-store.js'
import { FLAKELINE_VERSION } from '../version.js'
import type { Bundle, BundleRun } from './bundle-validate.js'

/** What `flakeline export` found after a given run. */
export interface ExportedRuns {
  bundle: Bundle
  /** The highest seq in the bundle (the new export marker), or null when it holds no run. */
  throughSeq: number | null
  /** Runs after the given one still recording (or killed while recording): not exported. */
  running: string[]
}

/**
 * A run's uid. Runs recorded before uids existed, and runs added by `flakeline import`, get one
 * derived from what identifies them in their store, so exporting such a run twice (or from two
 * copies of one store, as CI shards restore it from one cache) gives the same uid, and `merge`
 * recognises it in the store it came from.
 */
export function runUid(run: RunRecord): string {
  return run.uid ?? `legacy-${createHash('sha256').update(`${run.id}\u0000${run.startedAt}\u0000${run.runner}\u0000${run.seq}`).digest('hex').slice(0, 16)}`
}

// Records are copied field by field: MessagePack has no `undefined`, and fields a newer or older
// flakeline left in the store do not travel.
function testOf(test: TestRecord): TestRecord {
  const copy: TestRecord = {
    name: test.name,
    status: test.status,
    durationMs: test.durationMs ?? null,
    startedAt: test.startedAt ?? null,
    attempts: test.attempts,
    attemptOutcomes: [...(test.attemptOutcomes ?? [])],
    retryErrors: [...(test.retryErrors ?? [])],
    failureMessage: test.failureMessage ?? null,
    location: test.location ? { line: test.location.line, column: test.location.column } : null,
  }
  if (typeof test.timeoutMs === 'number') copy.timeoutMs = test.timeoutMs
  return copy
}

function fileOf(file: FileRecord): BundleRun['files'][number] {
  const copy: BundleRun['files'][number] = {
    fileId: file.fileId,
    project: file.project,
    path: file.path,
    status: file.status,
    durationMs: file.durationMs,
    startedAt: file.startedAt,
    fileError: file.fileError ?? null,
    tests: file.tests.map(testOf),
  }
  if (file.overheadMs !== undefined) copy.overheadMs = file.overheadMs
  if (file.firstOnWorker !== undefined) copy.firstOnWorker = file.firstOnWorker
  return copy
}

/** A stored run as a bundle holds it: without its seq, with its uid. */
export function bundleRunOf(run: RunRecord, files: readonly FileRecord[]): BundleRun {
  const record: BundleRun['run'] = {
    id: run.id,
    runner: run.runner,
    runnerVersion: run.runnerVersion,
    flakelineVersion: run.flakelineVersion,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    code: { commit: run.code.commit ?? null, dirty: run.code.dirty, branch: run.code.branch ?? null, source: run.code.source },
    shard: run.shard ? { index: run.shard.index, count: run.shard.count } : null,
    workers: run.workers,
    status: run.status,
    files: run.files,
    tests: run.tests,
    passed: run.passed,
    failed: run.failed,
    skipped: run.skipped,
    todo: run.todo,
    flaky: run.flaky,
    durationMs: run.durationMs,
    uid: runUid(run),
  }
  if (run.deadlines) {
    record.deadlines = {
      checked: run.deadlines.checked,
      missed: run.deadlines.missed.map((miss) => ({ fileId: miss.fileId, deadlineMs: miss.deadlineMs, finishedMs: miss.finishedMs })),
    }
  }
  if (run.job) record.job = run.job
  if (run.split) record.split = { mode: run.split.mode, fingerprint: run.split.fingerprint, filesListed: run.split.filesListed, unplanned: run.split.unplanned }
  if (run.startup) record.startup = { perWorkerMs: run.startup.perWorkerMs, perFileMs: run.startup.perFileMs }
  if (run.changedFiles) record.changedFiles = { ...run.changedFiles }
  if (run.changedSince) record.changedSince = run.changedSince.slice()
  return { run: record, files: files.map(fileOf) }
}

/**
 * The finished runs recorded in `store` after seq `afterSeq`, as a bundle. Runs made by `flakeline
 * merge` (those with `parts`) are never exported again: they came from other stores, whose own
 * exports carry them.
 */
export function exportRuns(store: HistoryStore, afterSeq: number, now = Date.now()): ExportedRuns {
  const runs: BundleRun[] = []
  const running: string[] = []
  let throughSeq: number | null = null
  for (const run of store.listRuns()) {
    if (run.seq <= afterSeq || run.parts) continue
    if (run.status === 'running') {
      running.push(run.id)
      continue
    }
    runs.push(bundleRunOf(run, store.recordsOfRun(run.seq)))
    throughSeq = run.seq
  }
  return { bundle: { createdAt: now, flakelineVersion: FLAKELINE_VERSION, runs }, throughSeq, running }
}

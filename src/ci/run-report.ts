import { isAbsolute, relative, sep } from 'node:path'
import { outcomeStrip } from '../cli/format.js'
import type { VerdictChanges } from '../core/run-analysis.js'
import { passedOnRetry } from '../evidence/outcomes.js'
import type { FileRecord, HistoryEntry, RunRecord, TestRecord, TestStatus } from '../records.js'
import type { HistoryStore } from '../store/history-store.js'
import { testKey } from '../store/test-key.js'
import type { Verdict, VerdictKind } from '../verdicts/types.js'
import { durationRegressions, type DurationRegression } from './duration-regressions.js'
import { firstFailure, type FirstFailure } from './first-failure.js'
import { compileQuarantineGlobs, decideQuarantine, type QuarantineDecision, type QuarantinePolicy } from './quarantine.js'
import type { RunnerFacts } from './runner-facts.js'
import { STABILITY_RUNS, stabilityRuns, suiteStability, type SuiteStability } from './suite-stability.js'

/** One test the report names, with what the history says about it. */
export interface ReportedTest {
  /** File id (`project:path` in multi-project setups). */
  file: string
  /** Path relative to the package root. */
  path: string
  test: string
  line: number | null
  column: number | null
  status: TestStatus
  attempts: number
  /** The final failure message, or the first failed attempt's for a test that passed on retry. */
  message: string | null
  verdict: VerdictKind | null
  confidence: number | null
  /** The verdict in one sentence. */
  verdictReason: string | null
  /** The strongest signals behind the verdict, in words. */
  evidence: string[]
  /** Newest 20 runs, newest last: ✓ passed, ✗ failed, ↻ passed on retry, · skipped. */
  strip: string
  /** The verdict changed with this run (newly flaky, failing or recovered). */
  verdictChanged: boolean
  /** A failure of a test that did not fail in its previous run. */
  newFailure: boolean
  /** For failures: whether quarantine excuses it, and why (absent when quarantine is off). */
  quarantine?: QuarantineDecision
}

/** What one run found: the one model behind the job summary, the annotations, `report` and JUnit. */
export interface RunReport {
  format: 'flakeline-run-report'
  version: 1
  run: {
    id: string
    seq: number
    runner: string
    runnerVersion: string
    status: RunRecord['status']
    startedAt: string
    durationMs: number
    workers: number
    commit: string | null
    branch: string | null
    dirty: boolean
  }
  totals: { files: number; tests: number; passed: number; failed: number; skipped: number; todo: number; flaky: number }
  /** The root's path inside the repository (`packages/app/`, or empty), for annotations and links. */
  repoPrefix: string
  /** Failed tests that are not known flaky: new failures first. */
  failures: ReportedTest[]
  /** Failed tests with a `flaky` verdict from before this run (quarantined or not). */
  flakyFailures: ReportedTest[]
  /** Tests that passed on retry in this run. */
  retried: ReportedTest[]
  /** Tests whose verdict became `recovered` with this run. */
  recovered: ReportedTest[]
  /** Errors outside any test (a file that failed to load, a failing `afterAll`). */
  fileErrors: Array<{ file: string; path: string; message: string }>
  slowestFiles: Array<{ file: string; path: string; durationMs: number; usualMs: number | null }>
  durationRegressions: DurationRegression[]
  deadlineMisses: Array<{ file: string; path: string; deadlineMs: number; finishedMs: number }>
  order: FirstFailure & { policy: string }
  shards: ShardReport | null
  stability: SuiteStability | null
  quarantine: QuarantineReport
}

/** A shard's run, or the shards of a merged run. */
export interface ShardReport {
  shard: string | null
  split: { mode: string; fingerprint: string; filesListed: number; unplanned: number } | null
  /** Each shard of a merged run: its files and how long it took; the slowest over the mean. */
  parts: Array<{ shard: string | null; files: number; durationMs: number | null }>
  imbalance: number | null
}

/** How quarantine went in this run. */
export interface QuarantineReport {
  enabled: boolean
  minConfidence: number
  quarantined: number
  /** Failures (and file errors) quarantine does not excuse. */
  blocking: number
  /** What else keeps the run failed: runner facts flakeline cannot see past (empty when none). */
  blockers: string[]
  /** Quarantine turns this run into a success through `flakeline run`. */
  excused: boolean
}

/** Options the report reads. */
export interface ReportOptions extends QuarantinePolicy {
  root: string
  policy: string
}

/** Tests of the report's lists, and runs of a strip. */
const STRIP_RUNS = 20
const SLOWEST_FILES = 5
const EVIDENCE_SHOWN = 3
/** Beyond this many files a run's duration regressions are looked for per file only (a read per test is not free). */
const TEST_REGRESSION_FILES = 2_000

function keyOf(fileId: string, name: string): string {
  return `${fileId}\0${name}`
}

/** The root's path inside the repository: from `GITHUB_WORKSPACE` or GitLab's `CI_PROJECT_DIR`, else none. */
export function repoPrefixOf(root: string, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE || env.CI_PROJECT_DIR
  if (!workspace) return ''
  const inside = relative(workspace, root)
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) return ''
  return `${inside.split(sep).join('/')}/`
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = sorted.length / 2
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The inputs of a report that are not in the store. */
export interface ReportContext {
  options: ReportOptions
  /** What this run's analysis changed; null when the analysis did not run (the stored verdicts are then the earlier ones). */
  changes: VerdictChanges | null
  /** What the runner knew; absent for a report made after the fact (`flakeline report`). */
  facts?: RunnerFacts
  env: NodeJS.ProcessEnv
  /** Compute the suite's stability (starts analysis workers). Default true. */
  stability?: boolean
}

/**
 * Builds the report of run `run` from the store (open, read-only is enough): its failures split
 * into real and known-flaky ones (quarantine decided for each), the tests that passed on retry, the
 * recovered ones, each with its verdict, evidence and outcome strip; file errors; the slowest files
 * and duration regressions; deadline misses; the time to the first failure against the runner's
 * default order; shard balance; the suite's stability.
 */
export async function buildRunReport(store: HistoryStore, run: RunRecord, context: ReportContext): Promise<RunReport> {
  const { options, changes } = context
  const records = store.recordsOfRun(run.seq)
  const changed = new Map<string, 'flaky' | 'failing' | 'recovered'>()
  for (const verdict of changes?.newlyFlaky ?? []) changed.set(keyOf(verdict.fileId, verdict.test), 'flaky')
  for (const verdict of changes?.newlyFailing ?? []) changed.set(keyOf(verdict.fileId, verdict.test), 'failing')
  for (const verdict of changes?.recovered ?? []) changed.set(keyOf(verdict.fileId, verdict.test), 'recovered')

  const histories = new Map<string, Map<string, readonly HistoryEntry[]>>()
  const testHistory = (fileId: string, name: string): readonly HistoryEntry[] => {
    let tests = histories.get(fileId)
    if (!tests) histories.set(fileId, (tests = new Map(store.testsOf(fileId).map((test) => [test.name, test.entries]))))
    // A name too long for a store key keeps its history under a shortened name.
    return tests.get(testKey(fileId, name)[1]) ?? []
  }
  const globs = compileQuarantineGlobs(options)
  const reported = (record: FileRecord, test: TestRecord): ReportedTest => {
    const verdict: Verdict | undefined = store.analysis.verdictOf(record.fileId, test.name)
    const entries = testHistory(record.fileId, test.name).filter((entry) => entry.seq <= run.seq)
    const previous = entries.filter((entry) => entry.seq < run.seq && (entry.status === 'passed' || entry.status === 'failed')).at(-1)
    return {
      file: record.fileId,
      path: record.path,
      test: test.name,
      line: test.location?.line ?? null,
      column: test.location?.column ?? null,
      status: test.status,
      attempts: test.attempts,
      message: test.failureMessage ?? test.retryErrors[0] ?? null,
      verdict: verdict?.verdict ?? null,
      confidence: verdict ? verdict.confidence : null,
      verdictReason: verdict?.reason ?? null,
      evidence: (verdict?.evidence ?? []).slice(0, EVIDENCE_SHOWN).map((evidence) => `${evidence.signal}: ${evidence.detail}`),
      strip: outcomeStrip(entries.slice(-STRIP_RUNS)),
      verdictChanged: changed.has(keyOf(record.fileId, test.name)),
      newFailure: test.status === 'failed' && previous?.status !== 'failed',
    }
  }

  const failures: ReportedTest[] = []
  const flakyFailures: ReportedTest[] = []
  const retried: ReportedTest[] = []
  const recovered: ReportedTest[] = []
  const fileErrors: RunReport['fileErrors'] = []
  for (const record of records) {
    if (record.fileError) fileErrors.push({ file: record.fileId, path: record.path, message: record.fileError })
    for (const test of record.tests) {
      const key = keyOf(record.fileId, test.name)
      if (test.status === 'failed') {
        const entry = reported(record, test)
        const flakyBefore = entry.verdict === 'flaky' && changed.get(key) !== 'flaky'
        if (options.quarantine !== false) entry.quarantine = decideQuarantine({ path: record.path, verdict: entry.verdict ? { verdict: entry.verdict, confidence: entry.confidence ?? 0 } : undefined, flakyBefore }, options, globs)
        ;(flakyBefore ? flakyFailures : failures).push(entry)
      } else if (passedOnRetry(test)) retried.push(reported(record, test))
      else if (changed.get(key) === 'recovered') recovered.push(reported(record, test))
    }
  }
  // New failures first, then by file and name, so the most important come first wherever lists are cut.
  failures.sort((a, b) => Number(b.newFailure) - Number(a.newFailure) || compareTests(a, b))
  flakyFailures.sort(compareTests)
  retried.sort((a, b) => Number(b.verdictChanged) - Number(a.verdictChanged) || compareTests(a, b))
  recovered.sort(compareTests)

  const fileHistories = new Map<string, readonly HistoryEntry[]>()
  const fileEntries = (fileId: string): readonly HistoryEntry[] => {
    let entries = fileHistories.get(fileId)
    if (!entries) fileHistories.set(fileId, (entries = store.fileHistory(fileId)?.entries ?? []))
    return entries
  }
  const slowestFiles = records
    .slice()
    .sort((a, b) => b.durationMs - a.durationMs || (a.fileId < b.fileId ? -1 : 1))
    .slice(0, SLOWEST_FILES)
    .map((record) => ({
      file: record.fileId,
      path: record.path,
      durationMs: record.durationMs,
      usualMs: median(fileEntries(record.fileId).filter((entry) => entry.seq < run.seq && entry.status !== 'skipped' && entry.status !== 'todo').slice(-5).map((entry) => entry.durationMs)),
    }))
  const regressions = durationRegressions(
    records.map((record) => ({
      fileId: record.fileId,
      fileEntries: fileEntries(record.fileId),
      tests: records.length <= TEST_REGRESSION_FILES ? store.testsOf(record.fileId) : [],
    })),
    run.seq,
  )

  const quarantined = flakyFailures.filter((test) => test.quarantine?.quarantined).length
  const blocking = failures.length + flakyFailures.length - quarantined + fileErrors.length
  const blockers = quarantineBlockers(run, context.facts)
  const stability = context.stability === false ? null : await suiteStability({ runs: stabilityRuns(store.recentRuns(STABILITY_RUNS)), files: () => store.listFiles(), testsOf: (fileId) => store.testsOf(fileId) })

  return {
    format: 'flakeline-run-report',
    version: 1,
    run: {
      id: run.id,
      seq: run.seq,
      runner: run.runner,
      runnerVersion: run.runnerVersion,
      status: run.status,
      startedAt: new Date(run.startedAt).toISOString(),
      durationMs: run.durationMs,
      workers: run.workers,
      commit: run.code.commit,
      branch: run.code.branch,
      dirty: run.code.dirty,
    },
    totals: { files: run.files, tests: run.tests, passed: run.passed, failed: run.failed, skipped: run.skipped, todo: run.todo, flaky: run.flaky },
    repoPrefix: repoPrefixOf(options.root, context.env),
    failures,
    flakyFailures,
    retried,
    recovered,
    fileErrors,
    slowestFiles,
    durationRegressions: regressions,
    deadlineMisses: (run.deadlines?.missed ?? []).map((miss) => ({ file: miss.fileId, path: records.find((record) => record.fileId === miss.fileId)?.path ?? miss.fileId, deadlineMs: miss.deadlineMs, finishedMs: miss.finishedMs })),
    order: { policy: options.policy, ...firstFailure(records, store.analysis.runOrder(run.seq), fileEntries, run.startedAt, run.seq, run.workers) },
    shards: shardReport(run),
    stability,
    quarantine: {
      enabled: options.quarantine !== false,
      minConfidence: options.quarantineMinConfidence,
      quarantined,
      blocking,
      blockers,
      excused: options.quarantine !== false && quarantined > 0 && blocking === 0 && blockers.length === 0,
    },
  }
}

/** By file, then where the test is in it (tests without a location last), then by name. */
function compareTests(a: ReportedTest, b: ReportedTest): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1
  const lines = (a.line ?? Infinity) - (b.line ?? Infinity)
  if (lines) return lines
  return a.test < b.test ? -1 : a.test > b.test ? 1 : 0
}

/**
 * What fails the run besides its tests, as far as flakeline can see: a run stopped early, errors
 * outside tests, snapshot failures, coverage thresholds (checked after every reporter, with the same
 * exit code). Without the runner's facts (`flakeline report` after the fact) quarantine cannot vouch
 * for the exit code at all.
 */
export function quarantineBlockers(run: RunRecord, facts: RunnerFacts | undefined): string[] {
  const blockers: string[] = []
  if (run.status === 'interrupted') blockers.push('the run was interrupted')
  if (!facts) {
    blockers.push('the runner did not report how the run ended (only the reporter, at the end of a run, knows)')
    return blockers
  }
  if (facts.bailed) blockers.push('bail stopped the run before every test ran')
  if (facts.unhandledErrors > 0) blockers.push(`${facts.unhandledErrors} unhandled error${facts.unhandledErrors === 1 ? '' : 's'} outside the tests`)
  if (facts.snapshotFailure) blockers.push('obsolete or unwritten snapshots fail the run')
  if (facts.coverageThresholds) blockers.push(`coverage thresholds are configured: ${facts.runner} checks them after the reporters and fails the run with the same exit code, so flakeline cannot tell the two apart`)
  return blockers
}

function shardReport(run: RunRecord): ShardReport | null {
  if (!run.shard && !run.parts?.length) return null
  const parts = (run.parts ?? []).map((part) => ({
    shard: part.shard ? `${part.shard.index}/${part.shard.count}` : null,
    files: part.files,
    durationMs: part.endedAt !== null ? Math.max(0, part.endedAt - part.startedAt) : null,
  }))
  const timed = parts.map((part) => part.durationMs).filter((ms): ms is number => ms !== null)
  const mean = timed.length ? timed.reduce((sum, ms) => sum + ms, 0) / timed.length : 0
  return {
    shard: run.shard ? `${run.shard.index}/${run.shard.count}` : null,
    split: run.split ? { mode: run.split.mode, fingerprint: run.split.fingerprint, filesListed: run.split.filesListed, unplanned: run.split.unplanned } : null,
    parts,
    imbalance: timed.length > 1 && mean > 0 ? Math.max(...timed) / mean : null,
  }
}

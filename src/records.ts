/** Runner-neutral records: what the reporters write and everything else reads. */

/** Outcome of one test in one run. Jest's `pending`/`disabled` and Vitest's `skip` become `skipped`. */
export type TestStatus = 'passed' | 'failed' | 'skipped' | 'todo'

/** Outcome of one test file in one run. */
export type FileStatus = 'passed' | 'failed' | 'skipped'

/**
 * How a run ended; `running` until the reporter sees the end; `incomplete` when the process recording
 * it ended first (killed, crashed): it holds the files it did record.
 */
export type RunStatus = 'running' | 'passed' | 'failed' | 'interrupted' | 'incomplete'

/** `import` marks runs added by `flakeline import` (their `runnerVersion` says `ndjson` or `junit`). */
export type RunnerName = 'jest' | 'vitest' | 'import'

/** The code a run tested: commit SHA from CI variables or git, and whether the work tree had changes. */
export interface CodeState {
  commit: string | null
  dirty: boolean
  branch: string | null
  /** Where the commit came from: a CI variable name, `git`, or `none`. */
  source: string
}

/** One CI shard, 1-based like `--shard=2/4`. */
export interface ShardInfo {
  index: number
  count: number
}

/**
 * How a sharded run chose its files: from a shard plan file (`plan`), from the plan the first shard
 * of a local job froze (`job`), or by the runner's own hash split (`runner`). Shards that split
 * from the same fingerprint together ran every file exactly once.
 */
export interface SplitInfo {
  mode: 'plan' | 'job' | 'runner'
  /** sha256 of the plan's assignment (`runner:<count>` for the runner's split). */
  fingerprint: string
  /** Files the runner listed before the split, and how many of them the plan did not know (placed by hash). */
  filesListed: number
  unplanned: number
}

/** One shard's run folded into a merged run by `flakeline merge`. */
export interface RunPart {
  uid: string
  id: string
  shard: ShardInfo | null
  split: SplitInfo | null
  files: number
  startedAt: number
  endedAt: number | null
}

/** One run of a test runner. */
export interface RunRecord {
  /** Sortable unique id, e.g. `20261122T034501Z-k3f9a2`. */
  id: string
  /** Monotonic sequence number in this store; history windows refer to runs by it. */
  seq: number
  runner: RunnerName
  runnerVersion: string
  flakelineVersion: string
  startedAt: number
  endedAt: number | null
  code: CodeState
  shard: ShardInfo | null
  workers: number
  status: RunStatus
  files: number
  tests: number
  passed: number
  failed: number
  skipped: number
  todo: number
  /** Tests that failed and then passed on a retry in this run. */
  flaky: number
  durationMs: number
  /** Files with a deadline in this run and those that missed it; absent when no file had one (and in older stores). */
  deadlines?: DeadlineReport
  /** Unique across stores (random), so a run merged twice is noticed; absent in runs recorded before 0.2. */
  uid?: string
  /**
   * The job this run belongs to: `runId` when set, else the CI job's identity (`github-RUNID-ATTEMPT-JOB`),
   * else the local shard job; the shards of one job are merged into one run. Absent for a plain local run.
   */
  job?: string
  /** How a sharded run chose its files. */
  split?: SplitInfo
  /** The shards merged into this run by `flakeline merge`, in shard order. */
  parts?: RunPart[]
  /**
   * The files that differed from `code.commit` when the run started (relative to the root) and a
   * sha1 of their content (`""` deleted), so the next plan tells an edited file from one left
   * uncommitted; absent when there were more than 2,000, outside git, and before schema 2.
   */
  changedFiles?: Record<string, string>
  /** Paths changed since the previous recorded run, as the plan saw them (at most 2,000); for the analysis' "unchanged failure" signal. */
  changedSince?: string[]
  /** The process recording the run (while it runs), so a run whose process is gone is marked `incomplete`. */
  owner?: { host: string; pid: number; startedAt: number }
  /** What starting workers cost this run (see `WorkerStartup`); absent before schema 2. */
  startup?: WorkerStartup
}

/**
 * Worker start-up, measured apart from the files: each worker pays `perWorkerMs` once before its
 * first file (Jest, Vitest with `isolate: false`), and each file `perFileMs` (Vitest with `isolate`,
 * where every file gets a fresh module graph). The plan adds both to its simulation.
 */
export interface WorkerStartup {
  perWorkerMs: number
  perFileMs: number
}

/** A file that finished after its deadline (`deadlines` option or `@flakeline-deadline` pragma). */
export interface DeadlineMiss {
  fileId: string
  deadlineMs: number
  /** When the file finished, in ms from the run's start. */
  finishedMs: number
}

/** The deadlines of one run, checked by the reporter when the run ends. */
export interface DeadlineReport {
  /** Files that had a deadline. */
  checked: number
  missed: DeadlineMiss[]
}

/** Source position of a test, when the runner reports one (Jest `testLocationInResults`, Vitest `includeTaskLocation`). */
export interface SourceLocation {
  line: number
  column: number
}

/** Outcome of one attempt of a test; a test retried twice has three attempts. */
export type AttemptOutcome = 'passed' | 'failed'

/** One test in one run. */
export interface TestRecord {
  /** Describe titles and the test title joined with ` > `, the identity of the test within its file. */
  name: string
  status: TestStatus
  durationMs: number | null
  startedAt: number | null
  /** Number of attempts (1 when the test was not retried, 0 when it never ran). */
  attempts: number
  /** One entry per attempt, oldest first. */
  attemptOutcomes: AttemptOutcome[]
  /** Error messages of failed attempts that were retried, trimmed. */
  retryErrors: string[]
  /** Failure message of the final attempt, trimmed to `maxMessageLength`. */
  failureMessage: string | null
  location: SourceLocation | null
  /** The test's timeout, when the runner gives it (Vitest per test, Jest its `testTimeout`). */
  timeoutMs?: number
}

/** One test file in one run. */
export interface FileRecord {
  fileId: string
  project: string
  /** Path relative to the root, with `/` separators. */
  path: string
  runSeq: number
  status: FileStatus
  durationMs: number
  startedAt: number
  /** An error outside any test (syntax error, failing hook at file level), trimmed. */
  fileError: string | null
  tests: TestRecord[]
  /**
   * Worker start-up measured around this file and kept out of `durationMs`: Vitest's prepare and
   * environment time (paid by the first file of each worker batch), Jest's wait between dispatch and
   * the worker starting the file. Absent in records before schema 2.
   */
  overheadMs?: number
  /**
   * The file was among the first its worker ran, so its own time also carries the worker's cold
   * caches (transforms, module registry); predictions leave such samples out when they have others.
   */
  firstOnWorker?: boolean
}

/** A file's or test's recent outcomes, newest last, as the planner and the CLI read them. */
export interface HistoryEntry {
  seq: number
  status: TestStatus
  durationMs: number
  startedAt: number
  attempts: number
  /** The file started a worker, so its duration carries that worker's cold start (see `FileRecord.firstOnWorker`). */
  firstOnWorker?: boolean
  /** The duration counts only the tests, not the file's imports and setup (Vitest runs recorded by schema 1). */
  partialDuration?: boolean
}

/** The bounded history of one test file. */
export interface FileHistory {
  fileId: string
  project: string
  path: string
  entries: HistoryEntry[]
}

/** The bounded history of one test. */
export interface TestHistory {
  fileId: string
  name: string
  entries: HistoryEntry[]
}

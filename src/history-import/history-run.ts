import type { AttemptOutcome, FileRecord, FileStatus, TestRecord, TestStatus } from '../records.js'
import type { ImportedRun } from '../store/history-store.js'
import { fileIdOf, withDistinctNames } from '../identity.js'
import { runTotals } from '../evidence/outcomes.js'
import { FLAKELINE_VERSION } from '../version.js'
import { IMPORT_LIMITS } from './import-limits.js'

/** One test of one imported run. */
export interface HistoryTest {
  name: string
  status: TestStatus
  durationMs: number | null
  startedAt: number | null
  /** Attempts, 1 unless the source says the test was retried (0 when it never ran). */
  attempts: number
  /** Outcome per attempt, oldest first, when the source says (JUnit reruns); otherwise derived. */
  attemptOutcomes: AttemptOutcome[] | null
  failureMessage: string | null
}

/** One test file of one imported run. */
export interface HistoryFile {
  project: string
  path: string
  /** Status and duration of the file when the source gives them; otherwise derived from its tests. */
  status: FileStatus | null
  durationMs: number | null
  startedAt: number | null
  tests: HistoryTest[]
}

/** One past run read from NDJSON or JUnit, before it goes into a store or a replay. */
export interface HistoryRun {
  id: string
  commit: string | null
  startedAt: number | null
  source: 'ndjson' | 'junit'
  files: HistoryFile[]
}

function outcomesOf(test: HistoryTest): AttemptOutcome[] {
  if (test.attemptOutcomes) return test.attemptOutcomes
  if (test.status !== 'passed' && test.status !== 'failed') return []
  const failedBefore = Math.max(0, test.attempts - 1)
  return [...Array<AttemptOutcome>(failedBefore).fill('failed'), test.status]
}

/** A file's status: its own when given, else failed if any test failed, passed if any passed, else skipped. */
export function fileStatusOf(file: HistoryFile): FileStatus {
  if (file.status) return file.status
  if (file.tests.some((test) => test.status === 'failed')) return 'failed'
  return file.tests.some((test) => test.status === 'passed') ? 'passed' : 'skipped'
}

/**
 * A file's duration: its own when given, else the sum of its tests', at most a week (the longest a
 * file may take in an import or a bundle: tests of up to a week each could add up to more).
 */
export function fileDurationOf(file: HistoryFile): number {
  return file.durationMs ?? Math.min(IMPORT_LIMITS.durationMs, file.tests.reduce((sum, test) => sum + (test.durationMs ?? 0), 0))
}

/** The store's form of an imported run. Runs without timestamps get `now`. */
export function toImportedRun(run: HistoryRun, now: number): ImportedRun {
  const startedAt = run.startedAt ?? now
  const files = run.files.map((file): Omit<FileRecord, 'runSeq'> => ({
    fileId: fileIdOf(file.project, file.path),
    project: file.project,
    path: file.path,
    status: fileStatusOf(file),
    durationMs: fileDurationOf(file),
    startedAt: file.startedAt ?? startedAt,
    fileError: null,
    tests: withDistinctNames(file.tests).map(
      (test): TestRecord => ({
        name: test.name,
        status: test.status,
        durationMs: test.durationMs,
        startedAt: test.startedAt,
        attempts: test.attempts,
        attemptOutcomes: outcomesOf(test),
        retryErrors: [],
        failureMessage: test.failureMessage,
        location: null,
      }),
    ),
  }))
  const tests = files.flatMap((file) => file.tests)
  const durationMs = files.reduce((sum, file) => sum + file.durationMs, 0)
  return {
    run: {
      id: run.id,
      runner: 'import',
      runnerVersion: run.source,
      flakelineVersion: FLAKELINE_VERSION,
      startedAt,
      endedAt: startedAt + durationMs,
      code: { commit: run.commit, dirty: false, branch: null, source: 'import' },
      shard: null,
      workers: 1,
      status: files.some((file) => file.status === 'failed') ? 'failed' : 'passed',
      ...runTotals(files),
      durationMs,
    },
    files,
  }
}

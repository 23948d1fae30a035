import type { AssertionResult, TestResult } from '@jest/test-result'
import { attemptOutcomes } from '../src/evidence/outcomes.js'
import type { FileResult } from '../src/core/run-recorder.js'
import { trimMessage } from '../src/core/trim-message.js'
import { testNameOf } from '../src/identity.js'
import type { FileStatus, TestRecord, TestStatus } from '../src/records.js'

function statusOf(status: AssertionResult['status']): TestStatus {
  if (status === 'passed' || status === 'focused') return 'passed'
  if (status === 'failed') return 'failed'
  if (status === 'todo') return 'todo'
  return 'skipped'
}

/** What `onTestCaseResult` saw of one attempt (Jest calls it once per attempt, retries included). */
export interface SeenAttempt {
  status: AssertionResult['status']
  failureMessages: string[]
}

/** Key of a test within its file for matching attempts to the final result. */
export function attemptKey(result: Pick<AssertionResult, 'ancestorTitles' | 'title'>): string {
  return testNameOf(result.ancestorTitles, result.title)
}

/**
 * One Jest assertion result as a runner-neutral test record. Jest keeps the errors of retried
 * attempts (`retryReasons`) only with `logErrorsBeforeRetry`, so the attempts seen through
 * `onTestCaseResult` fill them in otherwise.
 */
export function testRecordOf(result: AssertionResult, maxMessageLength: number, seen: readonly SeenAttempt[] = []): TestRecord {
  const status = statusOf(result.status)
  const ran = status === 'passed' || status === 'failed'
  const attempts = ran ? Math.max(1, result.invocations ?? 1) : 0
  return {
    name: testNameOf(result.ancestorTitles, result.title),
    status,
    durationMs: ran ? (result.duration ?? null) : null,
    startedAt: result.startAt ?? (result as { startedAt?: number | null }).startedAt ?? null,
    attempts,
    attemptOutcomes: attemptOutcomes(status, attempts),
    retryErrors: retryErrorsOf(result, seen, attempts).map((reason) => trimMessage(reason, maxMessageLength) ?? ''),
    failureMessage: status === 'failed' ? trimMessage(result.failureMessages.join('\n'), maxMessageLength) : null,
    location: result.location ? { line: result.location.line, column: result.location.column } : null,
  }
}

function retryErrorsOf(result: AssertionResult, seen: readonly SeenAttempt[], attempts: number): string[] {
  if (result.retryReasons?.length) return result.retryReasons
  if (attempts < 2 || seen.length !== attempts) return []
  return seen.slice(0, -1).map((attempt) => attempt.failureMessages.join('\n'))
}

/** One Jest test file result as a runner-neutral file result. */
export function fileResultOf(
  identity: { fileId: string; project: string; path: string },
  result: TestResult,
  maxMessageLength: number,
  seenAttempts: ReadonlyMap<string, readonly SeenAttempt[]> = new Map(),
  startup: { overheadMs: number; firstOnWorker: boolean } = { overheadMs: 0, firstOnWorker: false },
): FileResult {
  const tests = result.testResults.map((assertion) => testRecordOf(assertion, maxMessageLength, seenAttempts.get(attemptKey(assertion))))
  const fileError = result.testExecError
    ? trimMessage(result.testExecError.stack || result.testExecError.message, maxMessageLength)
    : result.numFailingTests === 0 && result.failureMessage
      ? trimMessage(result.failureMessage, maxMessageLength)
      : null
  const ran = tests.some((test) => test.status === 'passed' || test.status === 'failed')
  const status: FileStatus = fileError || result.numFailingTests > 0 ? 'failed' : ran ? 'passed' : 'skipped'
  const { start, end, runtime } = result.perfStats
  return {
    ...identity,
    status,
    // The file's whole time in its worker: environment, setup files, imports and transforms, tests.
    durationMs: Math.max(0, runtime ?? end - start),
    // A file that failed to load has no timings (start is 0).
    startedAt: start > 0 ? start : Date.now(),
    fileError,
    tests,
    overheadMs: startup.overheadMs,
    firstOnWorker: startup.firstOnWorker,
  }
}

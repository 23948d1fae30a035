import type { TestCase, TestModule } from 'vitest/node'
import type { FileResult } from '../src/core/run-recorder.js'
import { trimMessage } from '../src/core/trim-message.js'
import { attemptOutcomes } from '../src/evidence/outcomes.js'
import { testNameOf } from '../src/identity.js'
import type { FileStatus, TestRecord, TestStatus } from '../src/records.js'

interface ErrorLike {
  message?: string
  stack?: string
}

function messageOf(error: ErrorLike | undefined, max: number): string | null {
  if (!error) return null
  return trimMessage(error.stack || error.message || String(error), max)
}

function ancestorsOf(testCase: TestCase): string[] {
  const titles: string[] = []
  for (let parent = testCase.parent; parent.type === 'suite'; parent = parent.parent) titles.unshift(parent.name)
  return titles
}

/** One Vitest test case as a runner-neutral test record. */
export function testRecordOf(testCase: TestCase, maxMessageLength: number): TestRecord {
  const result = testCase.result()
  const status: TestStatus =
    testCase.options.mode === 'todo' ? 'todo' : result.state === 'passed' ? 'passed' : result.state === 'failed' ? 'failed' : 'skipped'
  const diagnostic = testCase.diagnostic()
  const ran = status === 'passed' || status === 'failed'
  const attempts = ran ? (diagnostic?.retryCount ?? 0) + 1 : 0
  // errors() keeps the errors of every failed attempt; the last belongs to the final attempt when it failed.
  const errors = ((result as { errors?: ReadonlyArray<ErrorLike> }).errors ?? []) as ErrorLike[]
  const retried = status === 'failed' ? errors.slice(0, -1) : errors
  return {
    name: testNameOf(ancestorsOf(testCase), testCase.name),
    status,
    durationMs: ran && diagnostic ? diagnostic.duration : null,
    startedAt: diagnostic?.startTime ?? null,
    attempts,
    attemptOutcomes: attemptOutcomes(status, attempts),
    retryErrors: retried.map((error) => messageOf(error, maxMessageLength) ?? ''),
    failureMessage: status === 'failed' ? messageOf(errors.at(-1), maxMessageLength) : null,
    location: testCase.location ? { line: testCase.location.line, column: testCase.location.column } : null,
    ...timeoutOf(testCase),
  }
}

/** The test's timeout (Vitest keeps each test's own), for the analysis' near-timeout signal. */
function timeoutOf(testCase: TestCase): { timeoutMs?: number } {
  const timeout = (testCase.options as { timeout?: unknown }).timeout
  return typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {}
}

/** One Vitest test module as a runner-neutral file result. */
export function fileResultOf(
  identity: { fileId: string; project: string; path: string },
  testModule: TestModule,
  startedAt: number | undefined,
  maxMessageLength: number,
): FileResult {
  const tests = Array.from(testModule.children.allTests(), (testCase) => testRecordOf(testCase, maxMessageLength))
  const moduleErrors = testModule.errors() as ReadonlyArray<ErrorLike>
  const fileError = moduleErrors.length ? trimMessage(moduleErrors.map((e) => e.stack || e.message).join('\n'), maxMessageLength) : null
  const state = testModule.state()
  const failed = state === 'failed' || fileError !== null || tests.some((test) => test.status === 'failed')
  const ran = tests.some((test) => test.status === 'passed' || test.status === 'failed')
  const status: FileStatus = failed ? 'failed' : ran ? 'passed' : 'skipped'
  // The file's whole cost to its worker: importing it (collect), setup files, and its tests. Worker
  // start-up (prepare, and the environment a worker sets up once) is measured apart, so a file's
  // prediction does not depend on whether it happened to start a worker.
  const diagnostic = testModule.diagnostic()
  const durationMs = diagnostic.collectDuration + diagnostic.setupDuration + diagnostic.duration
  const overheadMs = diagnostic.prepareDuration + diagnostic.environmentSetupDuration
  // With `isolate` every file is prepared afresh (each has prepare time); the environment is set up
  // once per worker, so that marks the first file. Without `isolate`, prepare marks it.
  const isolate = (testModule.project.config as { isolate?: boolean }).isolate !== false
  const firstOnWorker = diagnostic.environmentSetupDuration > 0 || (!isolate && diagnostic.prepareDuration > 0)
  const firstTestStart = tests.reduce((min, test) => (test.startedAt !== null && test.startedAt < min ? test.startedAt : min), Infinity)
  return {
    ...identity,
    status,
    durationMs,
    startedAt: startedAt ?? (Number.isFinite(firstTestStart) ? firstTestStart : Date.now() - durationMs),
    fileError,
    tests,
    overheadMs,
    firstOnWorker,
  }
}

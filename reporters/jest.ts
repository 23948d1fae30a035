import type { AggregatedResult, Test, TestCaseResult, TestResult } from '@jest/test-result'
import type { Config } from '@jest/types'
import { ErrorCodes, asFlakelineError, type FlakelineError } from '../src/errors.js'
import { installedVersion } from '../src/core/module-lookup.js'
import { OWN_DIR } from '../src/core/own-location.js'
import { jestWorkers } from '../src/core/worker-count.js'
import type { RunRecorder } from '../src/core/run-recorder.js'
import { startRecording } from '../src/core/start-recording.js'
import { findPackageRoot } from '../src/config/load-options.js'
import { attemptKey, fileResultOf, type SeenAttempt } from './_jest-records.js'
import { consoleEntriesOf, startedFileOf } from './_jest-live.js'
import { jestFacts, publishRunnerFacts } from '../src/ci/runner-facts.js'

/**
 * `reporters: ['default', 'flakeline/jest-reporter']` (or `['flakeline/jest-reporter', options]`):
 * records every run, file and test in flakeline's store. It never fails the run unless `strict`.
 */
export default class FlakelineJestReporter {
  private readonly globalConfig: Config.GlobalConfig
  private readonly inline: unknown
  private readonly root: string
  private recorder: RunRecorder | null = null
  private strictError: FlakelineError | undefined
  /** Attempts seen per test file, then per test, until the file's result arrives. */
  private readonly attempts = new Map<string, Map<string, SeenAttempt[]>>()

  constructor(globalConfig: Config.GlobalConfig, options?: unknown) {
    this.globalConfig = globalConfig
    this.inline = options && typeof options === 'object' && Object.keys(options).length === 0 ? undefined : options
    this.root = findPackageRoot(globalConfig.rootDir)
  }

  private workers = 1
  private readonly dispatched = new Map<string, { at: number; index: number }>()

  /** Jest passes `showStatus: false` when it runs the files in band (its own choice for a few fast files, or `--runInBand`). */
  async onRunStart(_results?: unknown, options?: { showStatus?: boolean }): Promise<void> {
    this.dispatched.clear()
    try {
      this.recorder = await startRecording(this.globalConfig.rootDir, this.inline, {
        runner: 'jest',
        runnerVersion: installedVersion('jest', [this.globalConfig.rootDir, OWN_DIR]),
        shard: this.globalConfig.shard ? { index: this.globalConfig.shard.shardIndex, count: this.globalConfig.shard.shardCount } : null,
        workers: (this.workers = jestWorkers(this.globalConfig, process.argv, options?.showStatus === false).workers),
      })
    } catch (error) {
      this.strictError = asFlakelineError(error, ErrorCodes.REPORTER, 'flakeline reporter')
    }
  }

  onTestCaseResult(test: Test, result: TestCaseResult): void {
    if (!this.recorder) return
    const byTest = this.attempts.get(test.path) ?? new Map<string, SeenAttempt[]>()
    this.attempts.set(test.path, byTest)
    const key = attemptKey(result)
    const seen = byTest.get(key) ?? []
    seen.push({ status: result.status, failureMessages: result.failureMessages })
    byTest.set(key, seen)
  }

  onTestFileStart(test: Test): void {
    // When each file was handed to a worker, and in what order: the first `workers` files each
    // start a worker, and the wait until the worker starts the file is its start-up.
    this.dispatched.set(test.path, { at: Date.now(), index: this.dispatched.size })
    this.recorder?.fileStarted(startedFileOf(this.root, test))
  }

  onTestFileResult(test: Test, result: TestResult): void {
    const recorder = this.recorder
    const seenAttempts = this.attempts.get(test.path)
    this.attempts.delete(test.path)
    if (!recorder) return
    try {
      const identity = startedFileOf(this.root, test)
      for (const entry of consoleEntriesOf(result, identity)) recorder.consoleOutput(entry)
      const dispatched = this.dispatched.get(test.path)
      const firstOnWorker = dispatched !== undefined && dispatched.index < this.workers
      const overheadMs = firstOnWorker && result.perfStats.start > 0 ? Math.max(0, result.perfStats.start - dispatched.at) : 0
      const file = fileResultOf(identity, result, recorder.options.maxMessageLength, seenAttempts, { overheadMs, firstOnWorker })
      // Jest reports no test's own timeout; its configured one is what a slow test runs into.
      const timeout = this.globalConfig.testTimeout
      if (typeof timeout === 'number' && timeout > 0) for (const test of file.tests) test.timeoutMs = timeout
      recorder.addFile(file)
    } catch (error) {
      recorder.notices.warn(asFlakelineError(error, ErrorCodes.REPORTER, `cannot record ${result.testFilePath}`))
    }
  }

  async onRunComplete(_contexts: unknown, results: AggregatedResult): Promise<void> {
    const recorder = this.recorder
    if (!recorder) return
    const status = results.wasInterrupted
      ? 'interrupted'
      : // `results.success` is only set after reporters ran, so it is not used here.
        results.numFailedTests > 0 || results.numFailedTestSuites > 0 || results.numRuntimeErrorTestSuites > 0
        ? 'failed'
        : 'passed'
    try {
      // What decides Jest's exit code beyond the tests, for the CI outputs and `flakeline run`.
      publishRunnerFacts(recorder.options.root, jestFacts({ globalConfig: this.globalConfig, results }))
      await recorder.finish(status)
    } catch (error) {
      this.strictError = asFlakelineError(error, ErrorCodes.REPORTER, 'flakeline reporter')
    }
  }

  /** Jest fails the run when a reporter reports an error, so only strict mode reports one. */
  getLastError(): Error | undefined {
    return this.strictError
  }
}

import type { UserConsoleLog } from 'vitest'
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node'
import { ErrorCodes, asFlakelineError } from '../src/errors.js'
import type { FlakelineOptions } from '../src/config/options.js'
import { findPackageRoot } from '../src/config/load-options.js'
import type { RunRecorder } from '../src/core/run-recorder.js'
import { startRecording } from '../src/core/start-recording.js'
import { vitestWorkers, type VitestWorkerConfig } from '../src/core/worker-count.js'
import { fileResultOf } from './_vitest-records.js'
import { consoleEntryOf, startedFileOf } from './_vitest-live.js'
import { publishRunnerFacts, vitestFacts, type VitestFactsConfig } from '../src/ci/runner-facts.js'

export { FlakelineSequencer, flakelineSequencer } from '../sequencers/vitest.js'

/**
 * `reporters: ['default', 'flakeline/vitest']` (or `[['flakeline/vitest', options]]`): records every
 * run, file and test in flakeline's store. It never fails the run unless `strict`.
 */
export default class FlakelineVitestReporter implements Reporter {
  private readonly inline: Partial<FlakelineOptions> | undefined
  private vitest: Vitest | undefined
  private root = process.cwd()
  private recorder: RunRecorder | null = null
  private readonly moduleStarts = new Map<string, number>()

  constructor(options?: Partial<FlakelineOptions>) {
    this.inline = options && Object.keys(options).length > 0 ? options : undefined
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest
    this.root = findPackageRoot(vitest.config.root)
  }

  async onTestRunStart(): Promise<void> {
    const vitest = this.vitest
    if (!vitest) return
    this.moduleStarts.clear()
    this.recorder = await startRecording(vitest.config.root, this.inline, {
      runner: 'vitest',
      runnerVersion: vitest.version,
      shard: vitest.config.shard ? { index: vitest.config.shard.index, count: vitest.config.shard.count } : null,
      workers: vitestWorkers(vitest.config as VitestWorkerConfig).workers,
    })
  }

  /** Vitest queues a module when its worker starts collecting it: its imports and setup, then its tests. */
  onTestModuleQueued(testModule: TestModule): void {
    this.moduleStarts.set(testModule.moduleId, Date.now())
  }

  onTestModuleStart(testModule: TestModule): void {
    if (!this.moduleStarts.has(testModule.moduleId)) this.moduleStarts.set(testModule.moduleId, Date.now())
    this.recorder?.fileStarted(startedFileOf(this.root, testModule))
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    if (this.recorder && this.vitest) this.recorder.consoleOutput(consoleEntryOf(this.vitest, this.root, log))
  }

  onTestModuleEnd(testModule: TestModule): void {
    const recorder = this.recorder
    if (!recorder) return
    try {
      recorder.addFile(fileResultOf(startedFileOf(this.root, testModule), testModule, this.moduleStarts.get(testModule.moduleId), recorder.options.maxMessageLength))
    } catch (error) {
      recorder.notices.warn(asFlakelineError(error, ErrorCodes.REPORTER, `cannot record ${testModule.moduleId}`))
    }
  }

  async onTestRunEnd(_modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>, reason: TestRunEndReason): Promise<void> {
    const recorder = this.recorder
    this.recorder = null
    // What decides Vitest's exit code beyond the tests, for the CI outputs and `flakeline run`.
    if (recorder && this.vitest) publishRunnerFacts(recorder.options.root, vitestFacts(this.vitest.config as VitestFactsConfig, errors, reason))
    await recorder?.finish(reason)
  }
}

import type { AggregatedResult, Test } from '@jest/test-result'
import { findPackageRoot } from '../src/config/load-options.js'
import { planRun, planShard } from '../src/core/plan-run.js'
import { jestWorkers } from '../src/core/worker-count.js'
import { fileIdOf, relativeTestPath } from '../src/identity.js'
import { createJestDefaultSequencer, type JestSequencer, type JestSequencerOptions } from './_jest-default-sequencer.js'

function projectOf(test: Test): string {
  const displayName = test.context.config.displayName
  return typeof displayName === 'string' ? displayName : (displayName?.name ?? '')
}

/**
 * `testSequencer: 'flakeline/jest-sequencer'`: orders test files from flakeline's history and sets
 * each `test.duration` from the prediction (Jest uses it for its estimates and run-in-band choice);
 * with `--shard` it splits files by predicted duration instead of by hash. Without history, or when
 * the store is unusable, Jest's own order and sharding are used.
 */
export default class FlakelineJestSequencer implements JestSequencer {
  private readonly jestOptions: JestSequencerOptions | undefined
  private fallback: JestSequencer | undefined

  constructor(options?: JestSequencerOptions) {
    this.jestOptions = options
  }

  private jestDefault(tests: readonly Test[]): JestSequencer {
    const rootDir = this.jestOptions?.globalConfig.rootDir ?? tests[0]?.context.config.rootDir ?? process.cwd()
    this.fallback ??= createJestDefaultSequencer(rootDir, this.jestOptions)
    return this.fallback
  }

  private identify(tests: readonly Test[]) {
    const root = findPackageRoot(this.jestOptions?.globalConfig.rootDir ?? tests[0]!.context.config.rootDir)
    const paths = tests.map((test) => relativeTestPath(root, test.path))
    const fileIds = tests.map((test, i) => fileIdOf(projectOf(test), paths[i]!))
    // Jest 29 constructs sequencers without the global config: the command line, else Jest's default.
    const count = jestWorkers(this.jestOptions?.globalConfig)
    const workersNote =
      count.source === 'default'
        ? `this Jest does not tell a sequencer its worker count (Jest 29): the plan assumes ${count.workers}, Jest's default; if your config sets maxWorkers, set the workers option (FLAKELINE_WORKERS) to the same`
        : undefined
    return { root, paths, fileIds, workers: count.workers, workersNote, runner: 'jest' }
  }

  async sort(tests: Test[]): Promise<Test[]> {
    if (tests.length === 0) return tests
    const request = this.identify(tests)
    const plan = await planRun(request)
    if (!plan) return this.jestDefault(tests).sort(tests)
    const position = new Map(plan.order.map((file, index) => [file.fileId, { index, predictedMs: file.predictedMs }]))
    const placed = tests.map((test, i) => ({ test, planned: position.get(request.fileIds[i]!)! }))
    for (const { test, planned } of placed) {
      if (planned.predictedMs !== null) test.duration = planned.predictedMs
    }
    return placed.sort((a, b) => a.planned.index - b.planned.index).map(({ test }) => test)
  }

  async shard(tests: Test[], options: { shardIndex: number; shardCount: number }): Promise<Test[]> {
    if (tests.length === 0) return tests
    const request = this.identify(tests)
    const shard = await planShard({ ...request, shardIndex: options.shardIndex, shardCount: options.shardCount })
    if (!shard.fileIds) return this.jestDefault(tests).shard(tests, options)
    const kept = new Set(shard.fileIds)
    return tests.filter((_, i) => kept.has(request.fileIds[i]!))
  }

  cacheResults(tests: Test[], results: AggregatedResult): void {
    this.jestDefault(tests).cacheResults(tests, results)
  }

  allFailedTests(tests: Test[]): Test[] | Promise<Test[]> {
    return this.jestDefault(tests).allFailedTests(tests)
  }
}

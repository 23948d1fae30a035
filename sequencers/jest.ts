import type { AggregatedResult, Test } from '@jest/test-result'
import { findPackageRoot } from '../src/config/load-options.js'
import { planRun } from '../src/core/plan-run.js'
import { fileIdOf, relativeTestPath } from '../src/identity.js'
import { createJestDefaultSequencer, type JestSequencer, type JestSequencerOptions } from './_jest-default-sequencer.js'

function projectOf(test: Test): string {
  const displayName = test.context.config.displayName
  return typeof displayName === 'string' ? displayName : (displayName?.name ?? '')
}

/**
 * `testSequencer: 'flakeline/jest-sequencer'`: orders test files from flakeline's history and sets
 * each `test.duration` from the prediction (Jest uses it for its estimates and run-in-band choice).
 * Without history, or when the store is unusable, Jest's own order is used.
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

  async sort(tests: Test[]): Promise<Test[]> {
    if (tests.length === 0) return tests
    const root = findPackageRoot(this.jestOptions?.globalConfig.rootDir ?? tests[0]!.context.config.rootDir)
    const ids = tests.map((test) => fileIdOf(projectOf(test), relativeTestPath(root, test.path)))
    const plan = await planRun({ root, fileIds: ids, runner: 'jest' })
    if (!plan) return this.jestDefault(tests).sort(tests)
    const position = new Map(plan.map((file, index) => [file.fileId, { index, predictedMs: file.predictedMs }]))
    const placed = tests.map((test, i) => ({ test, planned: position.get(ids[i]!)! }))
    for (const { test, planned } of placed) {
      if (planned.predictedMs !== null) test.duration = planned.predictedMs
    }
    return placed.sort((a, b) => a.planned.index - b.planned.index).map(({ test }) => test)
  }

  shard(tests: Test[], options: { shardIndex: number; shardCount: number }): Test[] | Promise<Test[]> {
    return this.jestDefault(tests).shard(tests, options)
  }

  cacheResults(tests: Test[], results: AggregatedResult): void {
    this.jestDefault(tests).cacheResults(tests, results)
  }

  allFailedTests(tests: Test[]): Test[] | Promise<Test[]> {
    return this.jestDefault(tests).allFailedTests(tests)
  }
}

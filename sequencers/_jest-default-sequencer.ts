import { createRequire } from 'node:module'
import type { Test, TestContext, AggregatedResult } from '@jest/test-result'
import type { Config } from '@jest/types'
import { OWN_DIR } from '../src/core/own-location.js'
import { resolveFrom } from '../src/core/module-lookup.js'

/** The part of Jest's own sequencer flakeline delegates to. */
export interface JestSequencer {
  sort(tests: Test[]): Test[] | Promise<Test[]>
  shard(tests: Test[], options: { shardIndex: number; shardCount: number }): Test[] | Promise<Test[]>
  cacheResults(tests: Test[], results: AggregatedResult): void
  allFailedTests(tests: Test[]): Test[] | Promise<Test[]>
}

export interface JestSequencerOptions {
  contexts: ReadonlyArray<TestContext>
  globalConfig: Config.GlobalConfig
}

type JestSequencerClass = new (options?: JestSequencerOptions) => JestSequencer

/**
 * Jest's default sequencer from the Jest the user runs: resolved from the project, through
 * jest-config (which depends on it), then from flakeline's install. Jest 29 constructs it
 * without arguments, Jest 30 with `{ contexts, globalConfig }`; both accept what we pass.
 */
export function createJestDefaultSequencer(rootDir: string, options?: JestSequencerOptions): JestSequencer {
  const viaJestConfig = resolveFrom('jest-config/package.json', [rootDir])
  const path =
    resolveFrom('@jest/test-sequencer', [rootDir]) ??
    (viaJestConfig ? resolveFrom('@jest/test-sequencer', [viaJestConfig]) : null) ??
    resolveFrom('@jest/test-sequencer', [OWN_DIR])
  if (!path) throw new Error('cannot find @jest/test-sequencer (is jest installed?)')
  const loaded = createRequire(path)(path) as { default?: JestSequencerClass } | JestSequencerClass
  const Sequencer = typeof loaded === 'function' ? loaded : loaded.default!
  return new Sequencer(options)
}

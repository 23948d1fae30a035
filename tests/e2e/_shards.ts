import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { RunRecord } from '../../src/records.js'
import { flakelineLines, readStore, runRunner, type RunnerInstall, type RunResult } from './harness.js'

/** The project's test files, as the runners list them. */
export function testFiles(dir: string): string[] {
  return readdirSync(join(dir, 'tests'))
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => `tests/${name}`)
    .sort()
}

/** What one shard's run did: the files its run record holds, and the split it recorded. */
export interface ShardRun {
  index: number
  files: string[]
  run: RunRecord
  result: RunResult
}

/** Runs shard `index`/`count` of the project and reads back what it recorded in `store`. */
export async function runShard(install: RunnerInstall, dir: string, index: number, count: number, store: string, env: Record<string, string> = {}): Promise<ShardRun> {
  const result = await runRunner(install, dir, [`--shard=${index}/${count}`], { FLAKELINE_GIT_CHANGES: '0', FLAKELINE_DIR: store, ...env })
  expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([])
  const runs = await readStore(dir, store)
  const run = runs.at(-1)!
  expect(run.run.shard, `shard ${index}/${count} recorded its run`).toEqual({ index, count })
  return { index, files: run.files.map((file) => file.path).sort(), run: run.run, result }
}

/** The union of the shards' files is `all`, each file exactly once; the shards agree on one split. */
export function expectEveryFileOnce(shards: readonly ShardRun[], all: readonly string[]): void {
  const ran = shards.flatMap((shard) => shard.files)
  const twice = ran.filter((file, i) => ran.indexOf(file) !== i)
  const never = all.filter((file) => !ran.includes(file))
  expect({ twice, never }).toEqual({ twice: [], never: [] })
  expect(ran.sort()).toEqual([...all].sort())
  expect(new Set(shards.map((shard) => shard.run.split?.fingerprint)).size, 'every shard split from one fingerprint').toBe(1)
}

import { cpSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, flakelineLines, readStore, removeProjects, runCliProcess, runRunner, type RunnerInstall } from './harness.js'
import { expectEveryFileOnce, runShard, testFiles, type ShardRun } from './_shards.js'

afterAll(removeProjects)

// The reported defect, as a user meets it: full runs to learn durations, then --shard=1/N … N/N one
// after the other in one checkout, each shard recording into the one store before the next plans.

describe.each([
  ['jest30', 'jest-babel'],
  ['vitest4', 'vitest'],
] as const)('%s: sequential shards in one checkout, one store', (install, fixture) => {
  test('3 and 4 shards after 0, 1 and 5 earlier runs: every file exactly once, each time', async () => {
    const dir = createProject(install, fixture)
    const base = join(dir, '.flakeline')
    const env = { FLAKELINE_GIT_CHANGES: '0' }
    const all = testFiles(dir)
    let earlier = 0
    for (const runsBefore of [0, 1, 5]) {
      while (earlier < runsBefore) {
        await runRunner(install, dir, [], env)
        earlier++
      }
      for (const count of [3, 4]) {
        // Each scenario's store starts as the base history; the last one is the project's own store.
        const store = runsBefore === 5 && count === 4 ? base : join(dir, `.flakeline-${runsBefore}-${count}`)
        if (store !== base && runsBefore > 0) cpSync(base, store, { recursive: true })
        const shards: ShardRun[] = []
        for (let index = 1; index <= count; index++) shards.push(await runShard(install, dir, index, count, store))
        expectEveryFileOnce(shards, all)
        const mode = shards[0]!.run.split!.mode
        expect(mode).toBe(runsBefore === 0 ? 'runner' : 'job')
        for (const shard of shards) {
          expect(shard.run.split).toMatchObject({ mode, filesListed: 8, unplanned: 0 })
          expect(shard.run.job).toBe(shards[0]!.run.job)
          const said = flakelineLines(shard.result).find((line) => line.startsWith(`flakeline: shard ${shard.index}/${count}: `))
          expect(said).toMatch(runsBefore === 0 ? /own split \(no history yet in .*; every shard of this local job does the same\)/ : /files from this local job's plan, balanced by predicted duration/)
        }
        if (runsBefore > 0) expect(shards.every((shard) => shard.files.length > 0)).toBe(true)
      }
    }
  })
})

describe.each([
  ['jest29', 'jest-babel'],
  ['vitest3', 'vitest'],
] as const)('%s: the shard path', (install, fixture) => {
  test('one earlier run, then 3 sequential shards on the default store: every file exactly once, from one plan', async () => {
    const dir = createProject(install, fixture)
    await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    const all = testFiles(dir)
    const shards: ShardRun[] = []
    for (let index = 1; index <= 3; index++) shards.push(await runShard(install, dir, index, 3, join(dir, '.flakeline')))
    expectEveryFileOnce(shards, all)
    expect(shards.map((shard) => shard.run.split?.mode)).toEqual(['job', 'job', 'job'])
  })
})

describe.each<[RunnerInstall, 'vitest' | 'jest-babel']>([
  ['jest30', 'jest-babel'],
  ['vitest4', 'vitest'],
])('%s: shards started at once from copies of one store', (install, fixture) => {
  test('they agree on one plan, the same split `flakeline plan --shard` shows', async () => {
    const dir = createProject(install, fixture)
    const env = { FLAKELINE_GIT_CHANGES: '0' }
    await runRunner(install, dir, [], env)
    const all = testFiles(dir)
    const planned = JSON.parse((await runCliProcess(['plan', '--json', '--shard', '1/2'], dir, env)).stdout) as { shards: string[][] }
    const shards = await Promise.all(
      [1, 2].map((index) => {
        const store = join(dir, `.flakeline-shard-${index}`)
        cpSync(join(dir, '.flakeline'), store, { recursive: true })
        return runShard(install, dir, index, 2, store)
      }),
    )
    expectEveryFileOnce(shards, all)
    expect(shards.map((shard) => shard.files)).toEqual(planned.shards.map((shard) => shard.slice().sort()))
    expect(readdirSync(dir).filter((name) => name.startsWith('.flakeline'))).toHaveLength(3)
  })
})

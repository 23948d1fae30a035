import { cpSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, flakelineLines, removeProjects, runCliProcess, runRunner } from './harness.js'
import { expectEveryFileOnce, runShard, testFiles, type ShardRun } from './_shards.js'

afterAll(removeProjects)

// Shards as CI runs them: each on its own machine with its own copy of the store, and the copies
// differ (a restore missed, another job saved the cache in between, a cache from another branch).

const GITHUB = { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'test' }

describe.each([
  ['jest30', 'jest-babel'],
  ['vitest4', 'vitest'],
] as const)('%s: 4 shards into separate stores that start from different histories', (install, fixture) => {
  test('current, stale, empty and one run ahead: with and without a plan file, every file exactly once', async () => {
    const dir = createProject(install, fixture)
    const env = { FLAKELINE_GIT_CHANGES: '0' }
    const all = testFiles(dir)
    await runRunner(install, dir, [], env)
    const stale = join(dir, 'stale')
    cpSync(join(dir, '.flakeline'), stale, { recursive: true })
    await runRunner(install, dir, [], env)
    await runRunner(install, dir, [], env)
    const ahead = join(dir, 'ahead')
    cpSync(join(dir, '.flakeline'), ahead, { recursive: true })
    await runRunner(install, dir, [], { ...env, FLAKELINE_DIR: ahead })
    /** Fresh copies for one scenario: shard 1 current, 2 stale, 3 empty, 4 one run ahead. */
    const stores = (name: string): string[] => {
      const sources = [join(dir, '.flakeline'), stale, null, ahead]
      return sources.map((source, i) => {
        const target = join(dir, `${name}-${i + 1}`)
        if (source) cpSync(source, target, { recursive: true })
        else mkdirSync(target)
        return target
      })
    }

    // In CI without a plan: the runner's own split on every shard, whatever its store holds.
    const ciStores = stores('ci')
    const inCi: ShardRun[] = []
    for (let index = 1; index <= 4; index++) inCi.push(await runShard(install, dir, index, 4, ciStores[index - 1]!, GITHUB))
    expectEveryFileOnce(inCi, all)
    expect(inCi.map((shard) => shard.run.split)).toEqual(inCi.map(() => ({ mode: 'runner', fingerprint: 'runner:4', filesListed: 8, unplanned: 0 })))
    expect(new Set(inCi.map((shard) => shard.run.job))).toEqual(new Set(['github-4242-1-test']))
    expect(flakelineLines(inCi[0]!.result).join('\n')).toContain("shard 1/4: " + (install === 'jest30' ? 'jest' : 'vitest') + "'s own split (no shard plan: in CI each shard reads its own store")

    // A plan made once (the plan job), read by every shard (CI and locally alike).
    const planned = await runCliProcess(['plan', '--shards', '4', '--out', 'shard-plan.json'], dir, env)
    expect(planned.code).toBe(0)
    expect(planned.stdout).toMatch(/^shard plan for 4 shards: 8 files, predicted .*; fingerprint [0-9a-f]{12}; written to shard-plan\.json\n$/)
    const plan = JSON.parse(readFileSync(join(dir, 'shard-plan.json'), 'utf8')) as { fingerprint: string; assign: Record<string, number> }
    for (const [name, extra] of [['plan-ci', GITHUB], ['plan-local', {}]] as const) {
      const planStores = stores(name)
      const shards: ShardRun[] = []
      for (let index = 1; index <= 4; index++) shards.push(await runShard(install, dir, index, 4, planStores[index - 1]!, { ...extra, FLAKELINE_SHARD_PLAN: 'shard-plan.json' }))
      expectEveryFileOnce(shards, all)
      for (const shard of shards) {
        expect(shard.run.split).toMatchObject({ mode: 'plan', fingerprint: plan.fingerprint, unplanned: 0 })
        expect(shard.files).toEqual(all.filter((file) => plan.assign[file] === shard.index))
      }
    }

    // Locally without a plan, started at once: the first shard's store decides for the job.
    const localStores = stores('local')
    const local = await Promise.all([1, 2, 3, 4].map((index) => runShard(install, dir, index, 4, localStores[index - 1]!)))
    expectEveryFileOnce(local, all)
    expect(new Set(local.map((shard) => shard.run.job)).size).toBe(1)
  })

  test('a plan file that a shard cannot read fails that shard with FLAKELINE_E_SHARD_PLAN: it never guesses a split its siblings may not share', async () => {
    const dir = createProject(install, fixture)
    const result = await runRunner(install, dir, ['--shard=1/2'], { FLAKELINE_SHARD_PLAN: 'missing-plan.json', ...GITHUB })
    expect(result.code).not.toBe(0)
    expect(`${result.stdout}\n${result.stderr}`).toContain('FLAKELINE_E_SHARD_PLAN')
  })
})

import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, readStore, removeProjects, runCliProcess, runRunner, type RunResult } from './harness.js'
import { testFiles } from './_shards.js'

// The README's GitHub Actions recipe for sharded runs, played out as commands: every job is a fresh
// checkout that restores `.flakeline` from the cache; a plan job writes the shard plan, each shard
// runs with it and exports a bundle, a merge job folds the bundles into the store and saves the cache.

const temporary: string[] = []
afterAll(() => {
  removeProjects()
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const SHARDS = 3

function ok(result: RunResult, what: string): RunResult {
  expect(result.code, `${what}\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

/** A job's checkout with the cache restored (`actions/cache/restore`), when there is one. */
function checkout(cache: string): string {
  const dir = createProject('vitest4', 'vitest')
  if (existsSync(join(cache, '.flakeline'))) cpSync(join(cache, '.flakeline'), join(dir, '.flakeline'), { recursive: true })
  return dir
}

async function ciRun(cache: string, runId: string): Promise<{ plan: string; shards: RunResult[]; merged: string }> {
  const temp = mkdtempSync(join(tmpdir(), 'flakeline-runner-temp-'))
  temporary.push(temp)
  const github = { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1', FLAKELINE_GIT_CHANGES: '0' }
  // plan job
  const planDir = checkout(cache)
  const plan = join(temp, 'shard-plan.json')
  const planned = ok(await runCliProcess(['plan', '--shards', String(SHARDS), '--out', plan], planDir, { ...github, GITHUB_JOB: 'plan' }), 'plan job')
  // test job, one per matrix entry
  const shards: RunResult[] = []
  for (let index = 1; index <= SHARDS; index++) {
    const dir = checkout(cache)
    const env = { ...github, GITHUB_JOB: 'test', FLAKELINE_SHARD_PLAN: plan }
    shards.push(await runRunner('vitest4', dir, [`--shard=${index}/${SHARDS}`], env))
    ok(await runCliProcess(['export', '--out', join(temp, `history-${index}.flakeline`)], dir, env), `export of shard ${index}`)
  }
  // merge job
  const mergeDir = checkout(cache)
  const bundles = readdirSync(temp).filter((name) => name.endsWith('.flakeline')).map((name) => join(temp, name))
  const merged = await runCliProcess(['merge', ...bundles], mergeDir, { ...github, GITHUB_JOB: 'merge' })
  ok(merged, 'merge job')
  // Merging the same bundles again (a re-run of the merge job) changes nothing.
  ok(await runCliProcess(['merge', ...bundles], mergeDir, { ...github, GITHUB_JOB: 'merge' }), 'merge again')
  // actions/cache/save
  rmSync(join(cache, '.flakeline'), { recursive: true, force: true })
  cpSync(join(mergeDir, '.flakeline'), join(cache, '.flakeline'), { recursive: true })
  return { plan: planned.stdout, shards, merged: mergeDir }
}

describe('the README\'s GitHub Actions recipe for shards, as commands', () => {
  test('two CI runs: plan job, 3 shards each exporting a bundle, a merge job saving the cache; one run per CI run with every file once', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'flakeline-ci-cache-'))
    temporary.push(cache)
    const all = testFiles(createProject('vitest4', 'vitest'))

    // First CI run: nothing cached yet, so the plan says "use the runner's split" on every shard.
    const first = await ciRun(cache, '1001')
    expect(first.plan).toMatch(/every shard will use the runner's own split \(no history yet/)
    let runs = await readStore(first.merged)
    expect(runs).toHaveLength(1)
    expect(runs[0]!.run).toMatchObject({ job: 'github-1001-1-test', shard: null, files: 8, tests: 35, failed: 1 })
    expect(runs[0]!.run.parts!.map((part) => part.shard)).toEqual([1, 2, 3].map((index) => ({ index, count: SHARDS })))
    expect(runs[0]!.files.map((file) => file.path).sort()).toEqual(all)

    // Second CI run: the plan is balanced from the merged history, and every shard follows it.
    const second = await ciRun(cache, '1002')
    expect(second.plan).toMatch(/^shard plan for 3 shards: 8 files, predicted /)
    for (const [i, shard] of second.shards.entries()) expect(shard.stdout + shard.stderr).toContain(`flakeline: shard ${i + 1}/3: `)
    runs = await readStore(second.merged)
    expect(runs.map((stored) => [stored.run.job, stored.run.files])).toEqual([
      ['github-1001-1-test', 8],
      ['github-1002-1-test', 8],
    ])
    expect(new Set(runs[1]!.run.parts!.map((part) => part.split?.mode))).toEqual(new Set(['plan']))
    expect(runs[1]!.files.map((file) => file.path).sort()).toEqual(all)
    // The merged store plans like any other: every file, with history from both CI runs.
    const planned = JSON.parse(ok(await runCliProcess(['plan', '--json'], second.merged), 'plan').stdout) as { order: Array<{ path: string }> }
    expect(planned.order.map((file) => file.path).sort()).toEqual(all)
  })
})

import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { FileRecord, TestRecord } from '../../../src/records.js'
import type { NewRun } from '../../../src/store/history-store.js'
import { COMMIT, cli, cliProject } from '../core/_cli.js'
import { fileResult, testRecord, useScratch } from '../core/_fixtures.js'
import { HOUR, T0, record } from './_bundle.js'

const scratch = useScratch()
const RUNS = 6
const SHARDS = 3
const FILES = ['tests/cart.test.ts', 'tests/math.test.ts', 'tests/io.test.ts', 'tests/slow.test.ts', 'tests/ui/button.test.ts', 'tests/ui/form.test.ts', 'tests/flaky.test.ts']

/**
 * What file `f` did in run `k`: varied durations, failures from run 3 on (passing runs before), retries, skipped and todo
 * tests, a wholly skipped file in run 4, a file that sits out run 3, and files that started a worker.
 */
function results(k: number): Array<Omit<FileRecord, 'runSeq'>> {
  return FILES.flatMap((path, f) => {
    if (k === 3 && f === 5) return []
    const skippedFile = k === 4 && f === 4
    const tests: TestRecord[] = [
      testRecord(`${path} > first`, skippedFile ? 'skipped' : (k + f) % 9 === 0 ? 'failed' : 'passed', { durationMs: 5 + ((k * 7 + f * 3) % 11) }),
      skippedFile ? testRecord(`${path} > second`, 'skipped') : (k * f) % 5 === 1 ? testRecord(`${path} > second`, 'passed', { attempts: 2, attemptOutcomes: ['failed', 'passed'], retryErrors: ['timeout'] }) : testRecord(`${path} > second`, 'passed'),
      testRecord(`${path} > third`, skippedFile || f === 2 ? 'skipped' : f === 4 ? 'todo' : 'passed'),
    ]
    const status = skippedFile ? 'skipped' : tests.some((test) => test.status === 'failed') ? 'failed' : 'passed'
    // Worker start-up kept apart, and files that started a worker (predictions leave those runs out).
    return [{ ...fileResult(path, status, (f === 3 ? 900 : 40) + ((k * 13 + f * 29) % 50), tests, T0 + k * HOUR + f * 10), overheadMs: 3 + f, firstOnWorker: (f + k) % 3 === 0 }]
  })
}

/** Which shard ran file `f` in run `k`: a different split every run, as a balanced split would be. */
const shardOf = (k: number, f: number): number => ((f * 2 + k) % SHARDS) + 1

async function inStore(dir: string, body: (store: ReturnType<typeof scratch.open>) => Promise<void>): Promise<void> {
  const store = scratch.open(dir, { historyLimit: 200 })
  await body(store)
  await store.close()
}

async function json(root: string, args: string[]): Promise<any> {
  const result = await cli([...args, '--json'], root)
  expect([result.code, result.stderr]).toEqual([0, ''])
  return JSON.parse(result.stdout)
}

/** What the acceptance compares: `stats`, every file's `history`, and `plan` (whole and sharded). */
async function views(root: string, dir: string) {
  const stats = (await json(root, ['stats', '--dir', dir])).runs.map(({ id, startedAt, endedAt, durationMs, workers, ...rest }: any) => rest)
  const withoutRunIds = (runs: any[]) => runs.map(({ run, ...entry }) => entry)
  const history = []
  for (const path of FILES) {
    const { files } = await json(root, ['history', path, '--dir', dir])
    history.push(files.map((file: any) => ({ ...file, runs: withoutRunIds(file.runs), tests: file.tests.map((test: any) => ({ ...test, runs: withoutRunIds(test.runs) })) })))
  }
  const plan = await json(root, ['plan', '--workers', '2', '--dir', dir])
  const sharded = await json(root, ['plan', '--workers', '2', '--shard', '2/3', '--dir', dir])
  return { stats, history, plan, sharded }
}

describe('export from shard stores, merge twice', () => {
  test("the merged store's stats, history and plan equal those of the same runs made unsharded in one store", async () => {
    const root = cliProject(scratch.dir())
    const unsharded = join(root, 'unsharded')
    const merged = join(root, 'merged')
    const shardStores = Array.from({ length: SHARDS }, (_, i) => join(root, `shard-${i + 1}`))
    const bundles: string[] = []

    for (let k = 1; k <= RUNS; k++) {
      const files = results(k)
      const common: Partial<NewRun> = { runner: 'vitest', runnerVersion: '4.1.12', code: COMMIT, workers: 2 }
      await inStore(unsharded, async (store) => void (await record(store, files, { ...common, id: `run-${k}`, uid: `a-${k}`, startedAt: T0 + k * HOUR })))
      // Each CI shard records its part of run k into its own store and exports it; the merge job merges run k's bundles.
      const round: string[] = []
      for (let i = 1; i <= SHARDS; i++) {
        const part = files.filter((file) => shardOf(k, FILES.indexOf(file.path)) === i)
        await inStore(shardStores[i - 1]!, async (store) => {
          await record(store, part, {
            ...common,
            id: `20261120T1${k}000${i}Z-shard${i}`,
            uid: `s${i}-${k}`,
            job: `github-${k}-1-test`,
            shard: { index: i, count: SHARDS },
            split: { mode: 'plan', fingerprint: `fp-${k}`, filesListed: files.length, unplanned: 0 },
            startedAt: T0 + k * HOUR + i * 250,
          })
        })
        const out = join(root, `run-${k}-shard-${i}.flakeline`)
        expect((await cli(['export', '--out', out, '--dir', shardStores[i - 1]!], root)).code).toBe(0)
        round.push(out)
      }
      const result = await cli(['merge', ...round, '--dir', merged], root)
      expect([result.code, result.stderr]).toEqual([0, ''])
      bundles.push(...round)
    }

    const expected = await views(root, unsharded)
    expect(expected.stats.map((run: any) => run.status)).toEqual(['passed', 'passed', 'failed', 'failed', 'failed', 'failed'])
    expect(expected.plan.order.length).toBe(FILES.length)
    expect(await views(root, merged)).toEqual(expected)

    // Merging every bundle again changes nothing.
    const again = await cli(['merge', ...bundles, '--dir', merged], root)
    expect([again.code, again.stderr]).toEqual([0, ''])
    expect(again.stdout).toContain(`skipped ${RUNS * SHARDS} runs already in the store`)
    expect(await views(root, merged)).toEqual(expected)

    // So does one merge of every bundle at once, in any order, into an empty store.
    const atOnce = join(root, 'at-once')
    expect((await cli(['merge', ...[...bundles].reverse(), '--dir', atOnce], root)).code).toBe(0)
    expect(await views(root, atOnce)).toEqual(expected)

    const runs = (await json(root, ['stats', '--dir', merged])).runs
    expect(runs.map((run: any) => [run.id, run.shard, run.workers])).toEqual(Array.from({ length: RUNS }, (_, k) => [`github-${k + 1}-1-test`, null, 2 * SHARDS]))
  })
})

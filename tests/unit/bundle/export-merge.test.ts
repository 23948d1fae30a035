import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { decodeBundle, encodeBundle } from '../../../src/bundle/bundle-format.js'
import type { FileRecord, SplitInfo } from '../../../src/records.js'
import { HistoryStore, type NewRun } from '../../../src/store/history-store.js'
import { cli, cliProject } from '../core/_cli.js'
import { fileResult, newRun, testRecord, useScratch } from '../core/_fixtures.js'
import { HOUR, T0, packedBundle, record, sampleBundle, sampleRun } from './_bundle.js'

const scratch = useScratch()
const LIMIT = { historyLimit: 200 }

type Result = Omit<FileRecord, 'runSeq'>
const passing = (path: string, ms = 10, at = T0): Result => fileResult(path, 'passed', ms, [testRecord(`${path} > works`, 'passed')], at)
const failing = (path: string, ms = 10, at = T0): Result => fileResult(path, 'failed', ms, [testRecord(`${path} > breaks`, 'failed')], at)
const split = (fingerprint: string): SplitInfo => ({ mode: 'plan', fingerprint, filesListed: 6, unplanned: 0 })

/** Records runs into a fresh store at `dir` and closes it, so the CLI can open it. */
async function storeWith(dir: string, runs: Array<[Result[], Partial<NewRun>]>): Promise<string> {
  const store = scratch.open(dir, LIMIT)
  for (const [files, overrides] of runs) await record(store, files, overrides)
  await store.close()
  return dir
}

/** One shard's run of a CI job. */
function shardRun(job: string, index: number, count: number, fingerprint = 'fp', at = T0): Partial<NewRun> {
  return { id: `${job}-shard-${index}`, job, uid: `${job}-u${index}`, shard: { index, count }, split: split(fingerprint), startedAt: at + index * 1_000 }
}

function readStore<T>(dir: string, read: (store: HistoryStore) => T): T {
  const store = HistoryStore.open(dir, { ...LIMIT, readOnly: true })
  try {
    return read(store)
  } finally {
    void store.close()
  }
}

async function exported(root: string, storeDir: string, out: string, ...flags: string[]): Promise<string> {
  const result = await cli(['export', '--out', out, '--dir', storeDir, ...flags], root)
  expect([result.code, result.stderr]).toEqual([0, ''])
  return out
}

async function json(root: string, args: string[]): Promise<any> {
  const result = await cli([...args, '--json'], root)
  expect(result.stderr).toBe('')
  return JSON.parse(result.stdout)
}

describe('flakeline export', () => {
  test('writes the finished runs since the last export, then since a run, or all; never runs still recording or made by merge', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    const store = scratch.open(dir, LIMIT)
    await record(store, [passing('tests/a.test.ts')], { id: 'r1', uid: 'u1', status: 'passed' })
    await store.beginRun(newRun({ id: 'r2', uid: 'u2' }))
    await record(store, [failing('tests/a.test.ts'), passing('tests/b.test.ts')], { id: 'r3', uid: 'u3', status: 'failed' })
    await store.close()

    const first = await cli(['export', '--out', 'one.flakeline'], root)
    expect(first).toEqual({ code: 0, stderr: '', stdout: 'exported 2 runs (3 file results, 3 test results) since the last export to one.flakeline\nnot exported: 1 run still recording or never finished: r2\n' })
    const bundle = decodeBundle(readFileSync(join(root, 'one.flakeline')), 'one.flakeline')
    expect(bundle.runs.map((run) => [run.run.id, run.run.uid, run.files.map((file) => file.path)])).toEqual([
      ['r1', 'u1', ['tests/a.test.ts']],
      ['r3', 'u3', ['tests/a.test.ts', 'tests/b.test.ts']],
    ])
    expect(bundle.runs[1]!.run).not.toHaveProperty('seq')
    expect(bundle.runs[1]!.files[0]).not.toHaveProperty('runSeq')

    expect((await cli(['export', '--out', 'two.flakeline'], root)).stdout).toMatch(/^exported 0 runs \(0 file results, 0 test results\) since the last export/)
    expect(decodeBundle(readFileSync(join(root, 'two.flakeline')), 'two.flakeline').runs).toEqual([])
    await storeWith(dir, [[[passing('tests/c.test.ts')], { id: 'r4', uid: 'u4' }]])
    expect((await json(root, ['export', '--out', 'three.flakeline'])).runs).toEqual(['r4'])
    expect(await json(root, ['export', '--out', 'since.flakeline', '--since', 'r1'])).toMatchObject({ since: 'r1', all: false, runs: ['r3', 'r4'], running: ['r2'], exportedThrough: 4 })
    expect((await json(root, ['export', '--out', 'all.flakeline', '--all'])).runs).toEqual(['r1', 'r3', 'r4'])

    // A run made by merge came from other stores: it is never exported again.
    const other = await storeWith(scratch.dir(), [[[passing('tests/d.test.ts')], { id: 'elsewhere', uid: 'u9' }]])
    await exported(root, other, join(root, 'other.flakeline'))
    expect((await cli(['merge', 'other.flakeline'], root)).code).toBe(0)
    expect((await json(root, ['export', '--out', 'all.flakeline', '--all'])).runs).toEqual(['r1', 'r3', 'r4'])
  })

  test('usage and store errors', async () => {
    const root = cliProject(scratch.dir())
    expect(await cli(['export'], root)).toMatchObject({ code: 2, stderr: expect.stringContaining('FLAKELINE_E_USAGE: --out FILE is required') })
    expect(await cli(['export', '--out', 'x', '--all', '--since', 'r1'], root)).toMatchObject({ code: 2, stderr: expect.stringContaining('--since and --all cannot be used together') })
    expect(await cli(['export', '--out', 'x'], root)).toMatchObject({ code: 3, stderr: expect.stringContaining('FLAKELINE_E_STORE_OPEN: no flakeline store at') })
    expect(existsSync(join(root, '.flakeline'))).toBe(false)
    await storeWith(join(root, '.flakeline'), [[[passing('tests/a.test.ts')], { id: 'r1', uid: 'u1' }]])
    expect(await cli(['export', '--out', 'x', '--since', 'nope'], root)).toMatchObject({ code: 4, stderr: expect.stringContaining('FLAKELINE_E_NOT_FOUND: no run "nope"') })
    expect(existsSync(join(root, 'x'))).toBe(false)
  })

  test('a file path that leaves the root cannot be exported: export writes nothing merge would refuse', async () => {
    const root = cliProject(scratch.dir())
    await storeWith(join(root, '.flakeline'), [[[passing('../shared/a.test.ts')], { id: 'r1', uid: 'u1' }]])
    const result = await cli(['export', '--out', 'x.flakeline'], root)
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('FLAKELINE_E_BUNDLE: cannot export to x.flakeline: bundle.runs[0].files[0].path leaves the root') })
    expect(existsSync(join(root, 'x.flakeline'))).toBe(false)
  })
})

describe('flakeline merge', () => {
  test('the shards of one job become one run with all their files; merging again changes nothing', async () => {
    const root = cliProject(scratch.dir())
    const job = 'github-41-1-test'
    const files = [
      [passing('tests/a.test.ts'), passing('tests/b.test.ts')],
      [failing('tests/c.test.ts'), passing('tests/d.test.ts')],
      [passing('tests/e.test.ts', 10, T0 + 5)],
    ]
    const bundles: string[] = []
    for (const [i, shardFiles] of files.entries()) {
      const dir = await storeWith(scratch.dir(), [[shardFiles, { ...shardRun(job, i + 1, 3), startup: { perWorkerMs: [40, 10, 20][i]!, perFileMs: 0 } }]])
      bundles.push(await exported(root, dir, join(root, `shard-${i + 1}.flakeline`)))
    }
    const merged = await cli(['merge', ...bundles.reverse()], root)
    expect(merged).toEqual({ code: 0, stderr: '', stdout: `merged 3 bundles into ${join(root, '.flakeline')}: 1 new run (3 parts, 5 file results)\n` })
    const stats = await json(root, ['stats'])
    expect(stats.runs).toHaveLength(1)
    expect(stats.runs[0]).toMatchObject({ id: job, seq: 1, shard: null, status: 'failed', files: 5, tests: 5, passed: 4, failed: 1, workers: 6, durationMs: 3_500 })
    const run = readStore(join(root, '.flakeline'), (store) => store.latestRun()!)
    expect(run.job).toBe(job)
    expect(run.startup).toEqual({ perWorkerMs: 20, perFileMs: 0 })
    expect(run.parts!.map((part) => [part.id, part.shard, part.files])).toEqual([
      [`${job}-shard-1`, { index: 1, count: 3 }, 2],
      [`${job}-shard-2`, { index: 2, count: 3 }, 2],
      [`${job}-shard-3`, { index: 3, count: 3 }, 1],
    ])
    expect(readStore(join(root, '.flakeline'), (store) => store.recordsOfRun(1).map((file) => file.path))).toEqual(['tests/a.test.ts', 'tests/b.test.ts', 'tests/c.test.ts', 'tests/d.test.ts', 'tests/e.test.ts'])

    const before = { stats: await json(root, ['stats']), history: await json(root, ['history', 'tests/c.test.ts']), plan: await json(root, ['plan', '--workers', '2']) }
    const again = await cli(['merge', ...bundles, bundles[0]!], root)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/: 0 new runs \(0 parts, 0 file results\)\nskipped 4 runs already in the store: /)
    expect({ stats: await json(root, ['stats']), history: await json(root, ['history', 'tests/c.test.ts']), plan: await json(root, ['plan', '--workers', '2']) }).toEqual(before)
  })

  test('more shards of a job merged earlier join its run under the same seq, in seq order in every window', async () => {
    const root = cliProject(scratch.dir())
    const shard = async (job: string, index: number, file: Result, at: number) => exported(root, await storeWith(scratch.dir(), [[[file], shardRun(job, index, 3, 'fp', at)]]), join(root, `${job}-${index}.flakeline`))
    const a1 = await shard('ci-a', 1, passing('tests/a.test.ts', 10, T0), T0)
    const a2 = await shard('ci-a', 2, passing('tests/b.test.ts', 10, T0), T0)
    const b = [await shard('ci-b', 1, passing('tests/a.test.ts', 12, T0 + HOUR), T0 + HOUR), await shard('ci-b', 2, passing('tests/b.test.ts', 12, T0 + HOUR), T0 + HOUR), await shard('ci-b', 3, failing('tests/c.test.ts', 30, T0 + HOUR), T0 + HOUR)]
    const a3 = await shard('ci-a', 3, passing('tests/c.test.ts', 20, T0), T0)
    expect((await cli(['merge', a1, a2], root)).code).toBe(0)
    expect((await cli(['merge', ...b], root)).code).toBe(0)
    const late = await json(root, ['merge', a3])
    expect(late.runs).toEqual([{ id: 'ci-a', seq: 1, job: 'ci-a', joined: true, parts: 1, files: 1 }])
    expect(late.disagreements).toEqual([])
    const stats = await json(root, ['stats'])
    expect(stats.runs.map((run: any) => [run.id, run.seq, run.files, run.status])).toEqual([['ci-a', 1, 3, 'passed'], ['ci-b', 2, 3, 'failed']])
    const history = await json(root, ['history', 'tests/c.test.ts'])
    expect(history.files[0].runs.map((entry: any) => [entry.run, entry.seq, entry.status, entry.durationMs])).toEqual([['ci-a', 1, 'passed', 20], ['ci-b', 2, 'failed', 30]])
    expect(history.files[0].tests.map((test: any) => [test.name, test.runs.map((entry: any) => entry.seq)])).toEqual([['tests/c.test.ts > breaks', [2]], ['tests/c.test.ts > works', [1]]])
    const plan = await json(root, ['plan', '--workers', '1'])
    expect(plan.order.map((file: any) => file.file)).toContain('tests/c.test.ts')
    expect(plan.order.find((file: any) => file.file === 'tests/c.test.ts').lastStatus).toBe('failed')
    const run = readStore(join(root, '.flakeline'), (store) => store.listRuns()[0]!)
    expect(run.parts!.map((part) => part.shard!.index)).toEqual([1, 2, 3])
    // Merging the late shard again changes nothing.
    expect((await json(root, ['merge', a3])).skipped).toEqual(['ci-a-shard-3'])
  })

  test('shards that split from different plans, and a file recorded twice, are reported (exit 1), and merged', async () => {
    const root = cliProject(scratch.dir())
    const target = join(root, '.flakeline')
    await storeWith(target, [[[passing('tests/x.test.ts'), passing('tests/y.test.ts'), passing('tests/z.test.ts')], { id: 'before', uid: 'u0', startedAt: T0 - HOUR }]])
    const one = await exported(root, await storeWith(scratch.dir(), [[[failing('tests/x.test.ts')], { ...shardRun('ci-7', 1, 2, 'a'.repeat(64)), status: 'failed' }]]), join(root, 'one.flakeline'))
    const two = await exported(root, await storeWith(scratch.dir(), [[[passing('tests/x.test.ts'), passing('tests/z.test.ts')], shardRun('ci-7', 2, 2, 'b'.repeat(64))]]), join(root, 'two.flakeline'))
    const report = await cli(['merge', one, two, '--json'], root)
    expect(report.code).toBe(1)
    const { disagreements, runs } = JSON.parse(report.stdout)
    expect(runs).toEqual([{ id: 'ci-7', seq: 2, job: 'ci-7', joined: false, parts: 2, files: 2 }])
    expect(disagreements).toEqual([
      {
        run: 'ci-7',
        seq: 2,
        job: 'ci-7',
        fingerprints: ['a'.repeat(64), 'b'.repeat(64)],
        recordedTwice: [{ file: 'tests/x.test.ts', by: ['shard 1/2 (ci-7-u1)', 'shard 2/2 (ci-7-u2)'] }],
        possiblySkipped: ['tests/y.test.ts'],
      },
    ])
    // The first shard's record of x is kept, and counted once.
    const stats = await json(root, ['stats'])
    expect(stats.runs[1]).toMatchObject({ id: 'ci-7', files: 2, tests: 2, passed: 1, failed: 1, status: 'failed' })
    expect((await json(root, ['history', 'tests/x.test.ts'])).files[0].runs.map((entry: any) => [entry.seq, entry.status])).toEqual([[1, 'passed'], [2, 'failed']])

    // The same in text, for people; a second merge is clean (nothing new).
    const text = await storeWith(join(scratch.dir(), 'store'), [[[passing('tests/x.test.ts'), passing('tests/y.test.ts')], { id: 'before', uid: 'u0', startedAt: T0 - HOUR }]])
    const printed = await cli(['merge', one, two, '--dir', text], root)
    expect(printed.code).toBe(1)
    expect(printed.stdout.split('\n').slice(1)).toEqual([
      'run ci-7:',
      `  its shards split from 2 different plans (${'a'.repeat(12)}, ${'b'.repeat(12)})`,
      '  recorded more than once: tests/x.test.ts (shard 1/2 (ci-7-u1), shard 2/2 (ci-7-u2))',
      '  possibly skipped (in the previous run, run by no shard): tests/y.test.ts',
      '',
    ])
    expect((await cli(['merge', one, two, '--dir', text], root)).code).toBe(0)
  })

  test('a merged run is named by its job from runId or CI, else by its first shard; ids stay unique', async () => {
    const root = cliProject(scratch.dir())
    await storeWith(join(root, '.flakeline'), [[[passing('tests/a.test.ts')], { id: 'ci-9', uid: 'local', startedAt: T0 - HOUR }]])
    const ci = await exported(root, await storeWith(scratch.dir(), [[[passing('tests/a.test.ts')], shardRun('ci-9', 1, 1)]]), join(root, 'ci.flakeline'))
    const local = await exported(root, await storeWith(scratch.dir(), [[[passing('tests/a.test.ts')], { ...shardRun('local-abc-1', 1, 1, 'fp', T0 + HOUR), id: '20261120T110000Z-aaaaaa' }]]), join(root, 'local.flakeline'))
    const alone = await exported(root, await storeWith(scratch.dir(), [[[passing('tests/a.test.ts')], { id: 'plain', uid: 'p1', startedAt: T0 + 2 * HOUR }]]), join(root, 'alone.flakeline'))
    expect((await json(root, ['merge', ci, local, alone])).runs.map((run: any) => run.id)).toEqual(['ci-9~2', '20261120T110000Z-aaaaaa', 'plain'])
    const runs = readStore(join(root, '.flakeline'), (store) => store.listRuns())
    expect(runs.map((run) => [run.id, run.job ?? null, run.parts?.length ?? 0])).toEqual([['ci-9', null, 0], ['ci-9~2', 'ci-9', 1], ['20261120T110000Z-aaaaaa', 'local-abc-1', 1], ['plain', null, 1]])
  })

  test('a store restored from the merged cache exports only what it records; runs without uid are recognised', async () => {
    const root = cliProject(scratch.dir())
    const cache = join(root, '.flakeline')
    // A run recorded before uids existed, in the store CI caches.
    await storeWith(cache, [[[passing('tests/a.test.ts')], { id: 'old', startedAt: T0 - HOUR }]])
    const shard = join(scratch.dir(), 'shard')
    cpSync(cache, shard, { recursive: true })
    await storeWith(shard, [[[passing('tests/b.test.ts')], shardRun('ci-1', 1, 1)]])
    const first = await json(root, ['export', '--out', 'first.flakeline', '--dir', shard])
    expect(first.runs).toEqual(['old', 'ci-1-shard-1'])
    expect(await json(root, ['merge', 'first.flakeline'])).toMatchObject({ skipped: ['old'], runs: [{ id: 'ci-1', seq: 2 }] })
    const next = join(scratch.dir(), 'next')
    cpSync(cache, next, { recursive: true })
    await storeWith(next, [[[passing('tests/b.test.ts')], shardRun('ci-2', 1, 1, 'fp', T0 + HOUR)]])
    expect((await json(root, ['export', '--out', 'next.flakeline', '--dir', next])).runs).toEqual(['ci-2-shard-1'])
  })

  test('a bad bundle merges nothing, and the store is untouched', async () => {
    const root = cliProject(scratch.dir())
    const target = await storeWith(join(root, '.flakeline'), [[[passing('tests/a.test.ts')], { id: 'r1', uid: 'u1' }]])
    writeFileSync(join(root, 'good.flakeline'), encodeBundle(sampleBundle([sampleRun({ uid: 'good', id: 'good' })])))
    const bad = sampleBundle([sampleRun({ uid: 'bad' })])
    bad.runs[0]!.files[1]!.path = '../../etc/passwd'
    const hostile: Record<string, Buffer> = {
      'traversal.flakeline': packedBundle(bad),
      'truncated.flakeline': encodeBundle(sampleBundle()).subarray(0, 100),
      'magic.flakeline': Buffer.from('not a bundle at all, just some text of enough length for a header'),
    }
    const before = readFileSync(join(target, 'history.mdb'))
    const stats = await json(root, ['stats'])
    for (const [name, bytes] of Object.entries(hostile)) {
      writeFileSync(join(root, name), bytes)
      const result = await cli(['merge', 'good.flakeline', name], root)
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(new RegExp(`^flakeline: FLAKELINE_E_BUNDLE: ${name.replace('.', '\\.')}: `))
      expect(await json(root, ['stats'])).toEqual(stats)
      expect(readFileSync(join(target, 'history.mdb')).equals(before)).toBe(true)
    }
    const missing = join(scratch.dir(), 'never')
    expect((await cli(['merge', 'truncated.flakeline', '--dir', missing], root)).code).toBe(1)
    expect(existsSync(missing)).toBe(false)
    expect(await cli(['merge'], root)).toMatchObject({ code: 2, stderr: expect.stringContaining('FLAKELINE_E_USAGE: name the bundles to merge') })
  })
})

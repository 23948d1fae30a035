import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { cli, cliProject } from '../core/_cli.js'
import { useScratch } from '../core/_fixtures.js'

const scratch = useScratch()
const NO_GIT = { FLAKELINE_GIT_CHANGES: '0' }

/** NDJSON of `runs` runs: slow never fails, flaky fails every third run, quick never fails; new.test.ts is not in it. */
function ndjson(runs = 6): string {
  const lines: string[] = []
  for (let r = 1; r <= runs; r++) {
    lines.push(JSON.stringify({ run: `r${r}`, file: 'tests/slow.test.ts', status: 'passed', durationMs: 4_000, commit: 'a'.repeat(40) }))
    lines.push(JSON.stringify({ run: `r${r}`, file: 'tests/flaky.test.ts', test: 'flaky > sometimes', status: r % 3 === 0 ? 'failed' : 'passed', durationMs: 300 }))
    lines.push(JSON.stringify({ run: `r${r}`, file: 'tests/quick.test.ts', status: 'passed', durationMs: 40 }))
  }
  return `${lines.join('\n')}\n`
}

async function projectWithHistory(runs = 6): Promise<string> {
  const root = cliProject(scratch.dir())
  writeFileSync(join(root, 'history.ndjson'), ndjson(runs))
  const imported = await cli(['import', '--format', 'ndjson', 'history.ndjson'], root, NO_GIT)
  expect([imported.code, imported.stderr]).toEqual([0, ''])
  return root
}

describe('flakeline import', () => {
  test('NDJSON: runs land in the store, a second import of the same runs is skipped', async () => {
    const root = await projectWithHistory()
    const again = await cli(['import', '--format', 'ndjson', 'history.ndjson', '--json'], root, NO_GIT)
    expect(JSON.parse(again.stdout)).toMatchObject({ runs: 0, files: 0, skipped: ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'] })
    const stats = JSON.parse((await cli(['stats', '--json'], root)).stdout) as { runs: Array<{ id: string; runner: string; failed: number }> }
    expect(stats.runs.map((run) => [run.id, run.runner, run.failed])).toEqual([
      ['r1', 'import', 0],
      ['r2', 'import', 0],
      ['r3', 'import', 1],
      ['r4', 'import', 0],
      ['r5', 'import', 0],
      ['r6', 'import', 1],
    ])
  })

  test('the text summary', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'h.ndjson'), ndjson(2))
    const { code, stdout } = await cli(['import', '--format', 'ndjson', 'h.ndjson'], root)
    expect(code).toBe(0)
    expect(stdout).toBe(`imported 2 runs (6 file results, 2 test results) into ${join(root, '.flakeline')}\n`)
  })

  test('a bad line imports nothing: the whole file is checked first', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'bad.ndjson'), `${ndjson(3)}{"run": "r9", "file": "x", "status": "exploded"}\n`)
    const { code, stderr } = await cli(['import', '--format', 'ndjson', 'bad.ndjson'], root)
    expect(code).toBe(1)
    expect(stderr).toBe(`flakeline: FLAKELINE_E_IMPORT: bad.ndjson:10: "status" must be one of passed, failed, skipped, got "exploded"\n`)
    expect(HistoryStore.exists(join(root, '.flakeline'))).toBe(false)
  })

  test('JUnit reports become one run named by --run', async () => {
    const root = cliProject(scratch.dir())
    mkdirSync(join(root, 'reports'))
    writeFileSync(join(root, 'reports', 'a.xml'), '<testsuite name="tests/a.test.ts" timestamp="2026-11-20T10:00:00Z"><testcase name="works" time="0.5"/></testsuite>')
    writeFileSync(join(root, 'reports', 'b.xml'), '<testsuite name="tests/b.test.ts"><testcase name="breaks" time="0.1"><failure message="no"/></testcase></testsuite>')
    const { code, stdout } = await cli(['import', '--format', 'junit', 'reports/a.xml', 'reports/b.xml', '--run', 'ci-7', '--commit', 'b'.repeat(40), '--json'], root)
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ runs: 1, files: 2, tests: 2, skipped: [] })
    const history = JSON.parse((await cli(['history', 'tests/b.test.ts', '--json'], root)).stdout) as { files: Array<{ runs: Array<{ run: string; status: string }> }> }
    expect(history.files[0]!.runs).toEqual([expect.objectContaining({ run: 'ci-7', status: 'failed' })])
  })

  test.each([
    [['import', 'x.ndjson'], '--format must be ndjson or junit, got ""'],
    [['import', '--format', 'csv', 'x'], '--format must be ndjson or junit, got "csv"'],
    [['import', '--format', 'ndjson'], 'name the file to import'],
    [['import', '--format', 'ndjson', 'a', 'b'], '--format ndjson takes one file, got 2'],
    [['import', '--format', 'ndjson', 'a', '--run', 'x'], '--run and --commit are for --format junit'],
    [['import', '--format', 'junit', 'a.xml', '--run', 'has space'], '--run must be 1 to 128 letters'],
  ])('usage: %j', async (argv, message) => {
    const { code, stderr } = await cli(argv, cliProject(scratch.dir()))
    expect(code).toBe(2)
    expect(stderr).toContain(`${ErrorCodes.USAGE}: ${message}`)
  })
})

describe('flakeline plan', () => {
  test('--json: policy, order with predictions and reasons, one shard without --shard', async () => {
    const root = await projectWithHistory()
    const { code, stdout, stderr } = await cli(['plan', '--json', '--workers', '1'], root, NO_GIT)
    expect([code, stderr]).toEqual([0, ''])
    const plan = JSON.parse(stdout) as { policy: string; workers: number; order: Array<Record<string, unknown>>; shards: string[][] }
    expect(plan).toMatchObject({ policy: 'auto', workers: 1, seed: null, shard: null, misses: [] })
    expect(plan.order.map((file) => file.file)).toEqual(['tests/flaky.test.ts', 'tests/quick.test.ts', 'tests/slow.test.ts'])
    expect(plan.order[0]).toMatchObject({ path: 'tests/flaky.test.ts', predictedMs: 300, lastStatus: 'failed', priority: 'normal', deadlineMs: null, startMs: 0, finishMs: 300 })
    expect(plan.order[0]!.reason).toMatch(/^fail-fast: failed in its last run: p\(fail\) \d+% over 300 ms$/)
    expect(plan.shards).toEqual([plan.order.map((file) => file.file)])
  })

  test('files on the command line: known ones with history, unknown ones as new', async () => {
    const root = await projectWithHistory()
    const plan = JSON.parse((await cli(['plan', '--json', '--workers', '2', 'tests/quick.test.ts', 'tests/new.test.ts'], root, NO_GIT)).stdout) as { order: Array<{ file: string; reason: string }> }
    expect(plan.order.map((file) => file.file).sort()).toEqual(['tests/new.test.ts', 'tests/quick.test.ts'])
    expect(plan.order.find((file) => file.file === 'tests/new.test.ts')!.reason).toMatch(/never run before/)
  })

  test('--shard 2/2: the balanced split and the order of shard 2; --policy lpt', async () => {
    const root = await projectWithHistory()
    const plan = JSON.parse((await cli(['plan', '--json', '--shard', '2/2', '--policy', 'lpt'], root, NO_GIT)).stdout) as { shard: string; shards: string[][]; shardPredictedMs: number[]; order: Array<{ file: string }> }
    expect(plan.shard).toBe('2/2')
    expect(plan.shards.flat().sort()).toEqual(['tests/flaky.test.ts', 'tests/quick.test.ts', 'tests/slow.test.ts'])
    expect(plan.shards).toContainEqual(['tests/slow.test.ts'])
    expect(plan.order.map((file) => file.file)).toEqual(plan.shards[1])
    expect(plan.shardPredictedMs.slice().sort((a, b) => a - b)).toEqual([340, 4_000])
  })

  test('deadlines and priorities from the config file and a pragma, with a predicted miss', async () => {
    const root = await projectWithHistory()
    writeFileSync(join(root, 'flakeline.config.json'), JSON.stringify({ deadlines: { 'tests/slow*': '3s' }, priorities: { 'tests/quick*': 'low' } }))
    mkdirSync(join(root, 'tests'))
    writeFileSync(join(root, 'tests', 'flaky.test.ts'), '/**\n * @flakeline-priority critical\n */\n')
    const { stdout } = await cli(['plan', '--workers', '1'], root, NO_GIT)
    const lines = stdout.split('\n')
    expect(lines[0]).toBe('policy auto: 3 files on 1 worker, predicted 4.3 s')
    expect(lines[1]).toBe('predicted deadline miss: tests/slow.test.ts (deadline 3.0 s, finishes ~4.3 s at p90)')
    expect(lines[3]!.trim().split(/\s{2,}/)).toEqual(['#', 'file', 'predicted', 'priority', 'deadline', 'start', 'reason'])
    const rows = lines.slice(4).filter(Boolean).map((line) => line.split(/\s{2,}/))
    expect(rows.map((row) => [row[1], row[3], row[4]])).toEqual([
      ['tests/flaky.test.ts', 'critical', '—'],
      ['tests/slow.test.ts', 'normal', '3.0 s'],
      ['tests/quick.test.ts', 'low', '—'],
    ])
    expect(rows[1]![6]).toBe('deadline 3.0 s (deadlines["tests/slow*"]): earliest deadline first')
  })

  test('shuffle prints its seed; --seed repeats the order', async () => {
    const root = await projectWithHistory()
    const first = await cli(['plan', '--policy', 'shuffle', '--seed', '99'], root, NO_GIT)
    expect(first.stdout.split('\n')[1]).toBe('seed 99 (FLAKELINE_SEED=99 or --seed 99 repeats this order)')
    expect((await cli(['plan', '--policy', 'shuffle'], root, { ...NO_GIT, FLAKELINE_SEED: '99' })).stdout).toBe(first.stdout)
  })

  test.each([
    [['plan', '--policy', 'fastest'], '--policy must be one of auto, edf, llf, priority, wspt, lpt, shuffle, recent, default, got "fastest"'],
    [['plan', '--workers', '0'], '--workers must be an integer from 1 to 1024, got "0"'],
    [['plan', '--shard', '3/2'], '--shard must look like 2/4: a shard index from 1 to the shard count (at most 1024), got "3/2"'],
    [['plan', '--shard', 'half'], '--shard must look like 2/4'],
    [['plan', '--seed=-1'], '--seed must be an integer from 0 to 4294967295, got "-1"'],
  ])('usage: %j', async (argv, message) => {
    const { code, stderr } = await cli(argv, await projectWithHistory(1))
    expect(code).toBe(2)
    expect(stderr).toContain(message)
  })

  test('no store: exit 3', async () => {
    const { code, stderr } = await cli(['plan'], cliProject(scratch.dir()))
    expect(code).toBe(3)
    expect(stderr).toContain(ErrorCodes.STORE_OPEN)
  })
})

describe('flakeline replay', () => {
  test('--json: the order of every run, planned from the runs before it', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'h.ndjson'), ndjson(4))
    const { code, stdout } = await cli(['replay', '--json', 'h.ndjson'], root)
    expect(code).toBe(0)
    const replay = JSON.parse(stdout) as { policy: string; runs: Array<{ run: string; order: string[] }> }
    expect(replay.policy).toBe('auto')
    expect(replay.runs.map((run) => run.run)).toEqual(['r1', 'r2', 'r3', 'r4'])
    // After r3, where flaky failed, r4 starts with it.
    expect(replay.runs[3]!.order[0]).toBe('tests/flaky.test.ts')
  })

  test('text: the metrics of the policy next to the baselines; --shards adds the balance', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'h.ndjson'), ndjson(9))
    const { code, stdout } = await cli(['replay', 'h.ndjson', '--shards', '2'], root)
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toBe('9 runs, 3 with failures (the metrics average over those); plans for 1 worker')
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['order', 'APFD', 'APFDc', 'NAPFD 50%', 'first failure'])
    expect(lines.slice(3, 8).map((line) => line.split(/\s{2,}/)[0])).toEqual(['auto', "runners' default", 'recent failures, decayed', 'random (10 seeds)', 'oracle'])
    // flaky (300 ms) fails in runs 3, 6 and 9. In run 3 nothing has failed yet and auto runs quick (40 ms) first: 0.34 s;
    // in runs 6 and 9 flaky goes first: 0.30 s. The runners' default runs it first only when it failed last time, never here.
    expect(lines[3]!.split(/\s{2,}/).at(-1)).toBe('0.31 s')
    expect(lines[4]!.split(/\s{2,}/).at(-1)).toBe('4.30 s')
    expect(stdout).toMatch(/2 shards over 9 runs: median makespan 1\.000× the ideal balanced by predicted duration \(p90 \d\.\d{3}×\), \d\.\d{3}× with the runners' SHA-1 split \(p90 \d\.\d{3}×\)/)
  })

  test('a malformed history: the import error and its line', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'h.ndjson'), 'not json\n')
    const { code, stderr } = await cli(['replay', 'h.ndjson'], root)
    expect(code).toBe(1)
    expect(stderr).toMatch(/^flakeline: FLAKELINE_E_IMPORT: h\.ndjson:1: not JSON/)
  })
})

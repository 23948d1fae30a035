import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { planShard, type ShardDecision } from '../../../src/core/plan-run.js'
import { Notices } from '../../../src/core/notices.js'
import { ErrorCodes } from '../../../src/errors.js'
import { balanceShards } from '../../../src/scheduling/shards.js'
import { formatShardPlan, makeShardPlan, readShardPlan, shardOf, unplannedShard, validateShardPlan } from '../../../src/sharding/shard-plan.js'
import { takeSplit } from '../../../src/core/run-handoff.js'
import { fileRecord, recordRun, useScratch } from '../core/_fixtures.js'

const scratch = useScratch()
const LOCAL: NodeJS.ProcessEnv = {}
const CI: NodeJS.ProcessEnv = { CI: 'true' }

function project(): { root: string; lines: string[]; notices: Notices } {
  const root = scratch.dir()
  writeFileSync(join(root, 'package.json'), '{}')
  mkdirSync(join(root, 'node_modules'))
  const lines: string[] = []
  return { root, lines, notices: new Notices({ sink: (line) => lines.push(line) }) }
}

const files = (n: number): string[] => Array.from({ length: n }, (_, i) => `tests/f${String(i + 1).padStart(2, '0')}.test.js`)

/** One run of every file with durations from `ms(file, i)`, recorded like a reporter does. */
async function recordAll(dir: string, fileIds: readonly string[], ms: (i: number) => number, shard: { index: number; count: number } | null = null): Promise<void> {
  const store = scratch.open(dir, { historyLimit: 200 })
  await recordRun(store, fileIds.map((id, i) => fileRecord(0, id, 'passed', ms(i))), { shard })
  await store.updatePlanIndex(fileIds)
  await store.close()
}

/** What a shard runs: the decision's files, or the runner's own split (modelled as the runners do it, by hash). */
function ran(decision: ShardDecision, all: readonly string[], index: number, count: number): string[] {
  if (decision.fileIds) return decision.fileIds
  return all.filter((id) => unplannedShard(`runner:${id}`, count) === index)
}

function expectPartition(shards: string[][], all: readonly string[]): void {
  const union = shards.flat()
  expect([...union].sort()).toEqual([...all].sort())
  expect(new Set(union).size).toBe(union.length)
}

describe('shard plan files', () => {
  test('written and read back alike; the fingerprint covers every assignment; edits are refused with FLAKELINE_E_SHARD_PLAN', () => {
    const split = balanceShards(files(6).map((fileId, i) => ({ fileId, predictedMs: (i + 1) * 100 })), 3)
    const plan = makeShardPlan(3, split, { runs: 4, lastRun: 'run-4' }, null)
    const path = join(scratch.dir(), 'shard-plan.json')
    writeFileSync(path, formatShardPlan(plan))
    expect(readShardPlan(path)).toEqual(plan)
    const edited = readFileSync(path, 'utf8').replace('"tests/f01.test.js": ', '"tests/f01.test.js": 0 + ')
    writeFileSync(path, edited)
    expect(() => readShardPlan(path)).toThrow(expect.objectContaining({ code: ErrorCodes.SHARD_PLAN }))
    const moved = JSON.parse(formatShardPlan(plan)) as { assign: Record<string, number> }
    moved.assign['tests/f01.test.js'] = (moved.assign['tests/f01.test.js']! % 3) + 1
    expect(() => validateShardPlan(moved, 'moved.json')).toThrow('fingerprint does not match the plan')
  })

  test('hostile plans give coded errors naming what is wrong', () => {
    const good = JSON.parse(formatShardPlan(makeShardPlan(2, balanceShards([{ fileId: 'a', predictedMs: 1 }], 2), { runs: 1, lastRun: null }, null))) as Record<string, unknown>
    const cases: Array<[unknown, string]> = [
      [null, 'not a JSON object'],
      [[], 'not a JSON object'],
      [{ ...good, format: 'other' }, 'format must be'],
      [{ ...good, version: 99 }, 'newer than this flakeline'],
      [{ ...good, shards: 0 }, 'shards must be an integer'],
      [{ ...good, shards: 1e9 }, 'shards must be an integer'],
      [{ ...good, assign: { a: 3 } }, 'must be a shard from 1 to 2'],
      [{ ...good, assign: { a: '1' } }, 'must be a shard from 1 to 2'],
      [{ ...good, assign: [] }, 'assign must be an object'],
      [{ ...good, predictedMs: ['x'] }, 'predictedMs must be'],
      [{ ...good, basis: null }, 'basis must be'],
    ]
    for (const [value, message] of cases) expect(() => validateShardPlan(value, 'p.json'), message).toThrow(message)
    const missing = join(scratch.dir(), 'missing.json')
    expect(() => readShardPlan(missing)).toThrow(expect.objectContaining({ code: ErrorCodes.SHARD_PLAN, message: expect.stringContaining('cannot read the shard plan') }))
    const notJson = join(scratch.dir(), 'bad.json')
    writeFileSync(notJson, '{"format": ')
    expect(() => readShardPlan(notJson)).toThrow(expect.objectContaining({ code: ErrorCodes.SHARD_PLAN, message: expect.stringContaining('not JSON') }))
  })

  test('files the plan does not know go by a hash of their id: the same shard on every machine', () => {
    const plan = makeShardPlan(4, balanceShards([{ fileId: 'a', predictedMs: 1 }], 4), { runs: 1, lastRun: null }, null)
    expect(shardOf(plan, 'a')).toEqual({ shard: plan.assign.a, planned: true })
    const placed = shardOf(plan, 'tests/new.test.js')
    expect(placed).toEqual({ shard: unplannedShard('tests/new.test.js', 4), planned: false })
    expect(placed.shard).toBeGreaterThanOrEqual(1)
    expect(placed.shard).toBeLessThanOrEqual(4)
  })

  test('property: for random plans and random file lists, the shards are a partition of the files', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 0, maxLength: 60 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 60 }),
        (planned, listed, count, durations) => {
          const plan = makeShardPlan(count, balanceShards(planned.map((fileId, i) => ({ fileId, predictedMs: durations[i] ?? null })), count), { runs: 1, lastRun: null }, null)
          const shards = Array.from({ length: count }, (_, i) => listed.filter((id) => shardOf(plan, id).shard === i + 1))
          expectPartition(shards, listed)
        },
      ),
      { numRuns: 300, seed: 10 },
    )
  })
})

describe('planShard: every file exactly once, whatever each shard\'s store holds', () => {
  test('the reported defect: sequential shards in one checkout, one store, each run recorded before the next shard plans', async () => {
    const { root, notices, lines } = project()
    const all = files(12)
    const dir = join(root, '.flakeline')
    await recordAll(dir, all, (i) => 100 + ((i * 37) % 11) * 50)
    const shards: string[][] = []
    for (let index = 1; index <= 3; index++) {
      const decision = await planShard({ root, fileIds: all, runner: 'vitest', notices, shardIndex: index, shardCount: 3 }, LOCAL)
      shards.push(ran(decision, all, index, 3))
      // The shard's run changes the store (and its files' durations) before the next shard plans.
      await recordAll(dir, shards[index - 1]!, () => 5_000 * index, { index, count: 3 })
      const taken = takeSplit(root)!
      expect(taken.info).toMatchObject({ mode: 'job', filesListed: 12, unplanned: 0 })
      expect(taken.job).toMatch(/^local-[0-9a-f]{16}-1$/)
    }
    expectPartition(shards, all)
    expect(lines.filter((line) => line.includes('from this local job\'s plan'))).toHaveLength(3)
  })

  test('a second job after the first (an index repeats in another process) plans anew; the same process asking again stays in its job', async () => {
    const { root, notices } = project()
    const all = files(8)
    await recordAll(join(root, '.flakeline'), all, (i) => (i + 1) * 100)
    const first = await planShard({ root, fileIds: all, runner: 'jest', notices, shardIndex: 1, shardCount: 2 }, LOCAL)
    await planShard({ root, fileIds: all, runner: 'jest', notices, shardIndex: 2, shardCount: 2 }, LOCAL)
    // Vitest 3 asks once per pool, in one process: the same job.
    await planShard({ root, fileIds: all, runner: 'jest', notices, shardIndex: 2, shardCount: 2 }, LOCAL)
    const job1 = takeSplit(root)!.job
    expect(job1).toMatch(/-1$/)
    // The first job's shards were other processes that have ended.
    const jobs = join(root, 'node_modules', '.cache', 'flakeline', 'shard-jobs')
    const [key] = readdirSync(jobs)
    for (const claim of readdirSync(join(jobs, key!, 'r1')).filter((name) => name.startsWith('claim-'))) writeFileSync(join(jobs, key!, 'r1', claim), '999999999')
    const again = await planShard({ root, fileIds: all, runner: 'jest', notices, shardIndex: 1, shardCount: 2 }, LOCAL)
    const job2 = takeSplit(root)!.job
    expect(job2).not.toBe(job1)
    expect(job2).toMatch(/-2$/)
    expect(again.fileIds).toEqual(first.fileIds)
  })

  test('property: sequential local shards over random histories and random durations recorded in between are a partition', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 20, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
        async (n, count, earlierRuns, durations, newFiles) => {
          const { root, notices } = project()
          const known = files(n)
          const dir = join(root, '.flakeline')
          for (let r = 0; r < earlierRuns; r++) await recordAll(dir, known, (i) => durations[(i + r) % 20]!)
          const shards: string[][] = []
          for (let index = 1; index <= count; index++) {
            // Some shards also see files added after the job's plan was made.
            const all = [...known, ...files(n + (newFiles[index % 4] ?? 0)).slice(n)]
            const decision = await planShard({ root, fileIds: all, runner: 'vitest', notices, shardIndex: index, shardCount: count }, LOCAL)
            takeSplit(root)
            shards.push(ran(decision, all, index, count).filter((id) => known.includes(id)))
            if (shards.at(-1)!.length) await recordAll(dir, shards.at(-1)!, (i) => durations[(i * 7 + index) % 20]! * 3, { index, count })
          }
          expectPartition(shards, known)
        },
      ),
      { numRuns: 25, seed: 4 },
    )
  })

  test('shards with separate stores (one stale, one empty) and a plan file: every file once', async () => {
    const all = files(10)
    const { root, notices } = project()
    // The plan job: balanced from the store as the last merge left it.
    const planned = join(root, 'planned')
    await recordAll(planned, all, (i) => (i + 1) * 300)
    const plan = makeShardPlan(4, balanceShards(all.map((fileId, i) => ({ fileId, predictedMs: (i + 1) * 300 })), 4), { runs: 1, lastRun: 'x' }, null)
    writeFileSync(join(root, 'shard-plan.json'), formatShardPlan(plan))
    const stale = join(root, 'stale')
    cpSync(planned, stale, { recursive: true })
    await recordAll(stale, all.slice(0, 4), () => 90_000)
    const stores = [planned, stale, join(root, 'empty'), planned]
    const shards: string[][] = []
    for (let index = 1; index <= 4; index++) {
      for (const env of [LOCAL, CI]) {
        const decision = await planShard(
          { root, fileIds: all, runner: 'jest', notices, shardIndex: index, shardCount: 4, inline: { dir: stores[index - 1], shardPlan: 'shard-plan.json' } },
          env,
        )
        expect(takeSplit(root)!.info).toMatchObject({ mode: 'plan', fingerprint: plan.fingerprint })
        if (env === LOCAL) shards.push(decision.fileIds!)
        else expect(decision.fileIds).toEqual(shards.at(-1))
      }
    }
    expectPartition(shards, all)
  })

  test('in CI without a plan every shard uses the runner\'s split, whatever its store holds, and says why once', async () => {
    const { root, notices, lines } = project()
    const all = files(6)
    await recordAll(join(root, '.flakeline'), all, (i) => i * 10)
    const decision = await planShard({ root, fileIds: all, runner: 'vitest', notices, shardIndex: 2, shardCount: 3 }, { GITHUB_RUN_ID: '77' })
    expect(decision.fileIds).toBeNull()
    expect(takeSplit(root)!.info).toEqual({ mode: 'runner', fingerprint: 'runner:3', filesListed: 6, unplanned: 0 })
    await planShard({ root, fileIds: all, runner: 'vitest', notices, shardIndex: 2, shardCount: 3 }, CI)
    expect(lines).toEqual([
      "flakeline: shard 2/3: vitest's own split (no shard plan: in CI each shard reads its own store, and splits made from stores that differ could skip files; to balance by duration, give every shard one plan: flakeline plan --shards 3 --out shard-plan.json, then FLAKELINE_SHARD_PLAN=shard-plan.json)",
    ])
  })

  test('a plan for another shard count, or made without history: the runner\'s split on every shard, said once', async () => {
    const { root, notices, lines } = project()
    const all = files(5)
    writeFileSync(join(root, 'three.json'), formatShardPlan(makeShardPlan(3, balanceShards(all.map((fileId) => ({ fileId, predictedMs: 5 })), 3), { runs: 1, lastRun: null }, null)))
    writeFileSync(join(root, 'empty.json'), formatShardPlan(makeShardPlan(2, null, { runs: 0, lastRun: null }, 'no history yet in /ci/.flakeline')))
    expect((await planShard({ root, fileIds: all, runner: 'jest', notices, shardIndex: 1, shardCount: 2, inline: { shardPlan: 'three.json' } }, CI)).fileIds).toBeNull()
    expect((await planShard({ root, fileIds: all, runner: 'jest', notices, shardIndex: 1, shardCount: 2, inline: { shardPlan: 'empty.json' } }, CI)).fileIds).toBeNull()
    expect(lines).toEqual([
      "flakeline: shard 1/2: jest's own split (three.json was made for 3 shards, this run has 2; every shard does the same)",
      "flakeline: shard 1/2: jest's own split (no history yet in /ci/.flakeline; every shard reading empty.json does the same)",
    ])
  })

  test('a named plan that cannot be read fails the shard (its siblings may be using it), strict or not', async () => {
    const { root, notices } = project()
    await expect(planShard({ root, fileIds: files(3), runner: 'vitest', notices, shardIndex: 1, shardCount: 2, inline: { shardPlan: 'nowhere.json' } }, CI)).rejects.toMatchObject({
      code: ErrorCodes.SHARD_PLAN,
    })
  })

  test('no history locally: the job plan says so, and every shard of the job uses the runner\'s split', async () => {
    const { root, notices, lines } = project()
    for (const index of [1, 2]) expect((await planShard({ root, fileIds: files(4), runner: 'vitest', notices, shardIndex: index, shardCount: 2 }, LOCAL)).fileIds).toBeNull()
    expect(lines).toEqual([
      `flakeline: shard 1/2: vitest's own split (no history yet in ${join(root, '.flakeline')}; every shard of this local job does the same)`,
      `flakeline: shard 2/2: vitest's own split (no history yet in ${join(root, '.flakeline')}; every shard of this local job does the same)`,
    ])
  })
})

import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { InMemoryHistory } from '../../../src/replay/in-memory-history.js'
import { replayHistory, type ReplayRun } from '../../../src/replay/replay-history.js'
import { replayShardBalance } from '../../../src/replay/shard-balance.js'
import type { FileRecord } from '../../../src/records.js'
import type { FileEvidence } from '../../../src/scheduling/file-evidence.js'
import { plainEvidence } from '../../../src/scheduling/file-evidence.js'
import { newRun, recordRun, useScratch } from '../core/_fixtures.js'

const scratch = useScratch()

/** A history where `b` fails now and then and is quick, `slow` never fails, `a` fails once early. */
function history(): ReplayRun[] {
  return Array.from({ length: 12 }, (_, r) => ({
    id: `run-${r + 1}`,
    files: [
      { fileId: 'a.test.ts', status: r === 1 ? ('failed' as const) : ('passed' as const), durationMs: 100 + r },
      { fileId: 'b.test.ts', status: r % 3 === 2 ? ('failed' as const) : ('passed' as const), durationMs: 20 },
      { fileId: 'slow.test.ts', status: 'passed' as const, durationMs: 5_000 },
      { fileId: 'gone.test.ts', status: 'skipped' as const, durationMs: 0 },
    ],
  }))
}

function fileRecords(run: ReplayRun, seq: number): Array<Omit<FileRecord, 'runSeq'>> {
  return run.files.map((file) => ({ fileId: file.fileId, project: '', path: file.fileId, status: file.status, durationMs: file.durationMs, startedAt: 1_000 + seq, fileError: null, tests: [] }))
}

describe('the in-memory evidence model is the store\'s', () => {
  test('after the same runs, recordFiles + the plan index, importRuns, and InMemoryHistory give identical evidence', async () => {
    const runs = history()
    const recorded = scratch.open(join(scratch.dir(), 'recorded'), { historyLimit: 5 })
    for (const [i, run] of runs.entries()) {
      await recordRun(recorded, fileRecords(run, i))
      await recorded.updatePlanIndex(run.files.map((file) => file.fileId))
    }
    const imported = scratch.open(join(scratch.dir(), 'imported'), { historyLimit: 5 })
    const records = await imported.importRuns(runs.map((run, i) => ({ run: newRun({ id: run.id }), files: fileRecords(run, i) })))
    expect(records.map((record) => record.seq)).toEqual(runs.map((_, i) => i + 1))
    const memory = new InMemoryHistory(5)
    for (const run of runs) memory.learn(run.files)
    const plain = (evidence: Map<string, FileEvidence>) => new Map(Array.from(evidence, ([id, e]) => [id, plainEvidence(e)]))
    expect(plain(imported.planEvidence())).toEqual(plain(recorded.planEvidence()))
    expect(plain(memory.evidence)).toEqual(plain(recorded.planEvidence()))
    expect(plain(recorded.planEvidence()).get('b.test.ts')).toMatchObject({ runs: 5, ranRuns: 5, failedRuns: 2, lastStatus: 'failed' })
    // The window limit dropped detail records beyond the last 5 runs of each file, in both.
    expect(imported.fileRecordsOf('a.test.ts').map((record) => record.runSeq)).toEqual([8, 9, 10, 11, 12])
    expect(imported.listRuns().map((run) => run.id)).toEqual(runs.map((run) => run.id))
  })

  test('importRuns into a store that already has runs continues its sequence and windows', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 200 })
    const [first, ...rest] = history()
    await recordRun(store, fileRecords(first!, 0))
    await store.importRuns(rest.map((run, i) => ({ run: newRun({ id: run.id }), files: fileRecords(run, i + 1) })))
    expect(store.listRuns().map((run) => run.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(store.fileHistory('b.test.ts')!.entries.map((entry) => entry.status)).toEqual(history().map((run) => run.files[1]!.status))
  })

  test('project names go into the plan index so paths can be recovered from ids', async () => {
    const store = scratch.open(scratch.dir(), { historyLimit: 200 })
    await store.importRuns([{ run: newRun({ id: 'p' }), files: [{ fileId: 'web:tests/a.test.ts', project: 'web', path: 'tests/a.test.ts', status: 'passed', durationMs: 1, startedAt: 1, fileError: null, tests: [] }] }])
    expect(store.planIndex().projects).toEqual(['web'])
  })
})

describe('replayHistory', () => {
  test('each run is planned from the runs before it, restricted to the files that ran', async () => {
    const summary = await replayHistory(history(), { policies: ['auto', 'default'], workers: 1, seed: 1, baselines: true, keepOrders: true })
    expect(summary.runs).toBe(12)
    expect(summary.runsWithFailures).toBe(5)
    expect(summary.orders).toHaveLength(12)
    // The first run has no history: new files, equal priors, the suite median as their duration; ids break ties.
    expect(summary.orders[0]!.order).toEqual(['a.test.ts', 'b.test.ts', 'slow.test.ts'])
    // After b failed in run 3, run 4 starts with b; skipped files are never ordered.
    expect(summary.orders[3]!.order[0]).toBe('b.test.ts')
    expect(summary.orders.every((run) => !run.order.includes('gone.test.ts'))).toBe(true)
    const by = new Map(summary.contenders.map((c) => [c.name, c]))
    expect([...by.keys()]).toEqual(['auto', 'default', 'random', 'oracle'])
    expect(by.get('oracle')!.apfdc).toBeGreaterThanOrEqual(by.get('auto')!.apfdc)
    // Longest first puts the 5 s file ahead of the quick failures; auto does not.
    expect(by.get('auto')!.timeToFirstFailureMs).toBeLessThan(by.get('default')!.timeToFirstFailureMs)
  })

  test('without failures nothing is scored', async () => {
    const quiet = history().map((run) => ({ ...run, files: run.files.map((file) => ({ ...file, status: 'passed' as const })) }))
    const summary = await replayHistory(quiet, { policies: ['auto'], workers: 1, seed: 1, baselines: false })
    expect(summary.runsWithFailures).toBe(0)
    expect(summary.contenders[0]!.apfdc).toBeNaN()
  })
})

describe('replayShardBalance', () => {
  test('balanced shards beat the hash split when durations differ; the first run (no history) counts too', async () => {
    const runs: ReplayRun[] = Array.from({ length: 5 }, (_, r) => ({
      id: `r${r}`,
      files: [8, 1, 1, 1, 1, 1, 1, 1, 1].map((s, i) => ({ fileId: `f${i}`, status: 'passed' as const, durationMs: s * 1000 })),
    }))
    const balance = await replayShardBalance(runs, 2)
    expect(balance.runs).toBe(5)
    expect(balance.safe.median).toBe(1)
    expect(balance.hash.median).toBeGreaterThan(1)
  })

  test('the unsafe split (each shard planning from a store its siblings changed) is measured by what it really ran', async () => {
    // Durations that swing run to run: what shard 1 records moves shard 2's plan.
    const runs: ReplayRun[] = Array.from({ length: 12 }, (_, r) => ({
      id: `r${r}`,
      files: Array.from({ length: 6 }, (_, i) => ({ fileId: `f${i}`, status: 'passed' as const, durationMs: (1 + ((i * 5 + r * 3) % 7)) * 1000 })),
    }))
    const balance = await replayShardBalance(runs, 3)
    expect(balance.unsafeBroken).toBeGreaterThan(0)
    expect(balance.unsafeSkippedShare).toBeGreaterThan(0)
    expect(balance.safe.p90).toBeGreaterThanOrEqual(balance.safe.median)
  })
})

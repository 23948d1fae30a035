import type { FileStatus } from '../records.js'
import { balanceShards, hashShards } from '../scheduling/shards.js'
import { InMemoryHistory } from './in-memory-history.js'
import type { ReplayRun } from './replay-history.js'

/** Makespan over the ideal for one way of splitting, over the measured runs. */
export interface SplitScore {
  median: number
  p90: number
  /** Share of runs within 1.10× of the ideal. */
  within110: number
}

/** How three ways of splitting each run into shards fared on a history. */
export interface ShardBalance {
  shards: number
  /** Runs measured: those with at least `shards` files that ran and some time. */
  runs: number
  /** One balanced plan made from the history before the run, used by every shard (what flakeline does). */
  safe: SplitScore
  /** The runners' SHA-1 split. */
  hash: SplitScore
  /**
   * Each shard balancing from the store as it finds it, one after another, each shard's results
   * learned before the next plans (flakeline before 0.2). Its makespan counts the files each shard
   * really ran, so a file run twice costs twice.
   */
  unsafe: SplitScore
  /** Share of runs where the unsafe split ran some file twice or never. */
  unsafeBroken: number
  /** Files never run by the unsafe split, over all measured runs' files. */
  unsafeSkippedShare: number
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = values.slice().sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (at - low)
}

function score(ratios: number[]): SplitScore {
  return {
    median: quantile(ratios, 0.5),
    p90: quantile(ratios, 0.9),
    within110: ratios.length ? ratios.filter((ratio) => ratio <= 1.1).length / ratios.length : Number.NaN,
  }
}

/**
 * Replays a history through the shard planner: for each run, the files that ran are split into
 * `shards` shards three ways (`ShardBalance`), each shard runs its files one after another with their
 * real durations, and the slowest shard (the makespan) is compared with the ideal: the larger of
 * total/shards and the longest file. The history then learns the whole run.
 */
export async function replayShardBalance(runs: Iterable<ReplayRun> | AsyncIterable<ReplayRun>, shards: number, historyLimit = 200): Promise<ShardBalance> {
  const history = new InMemoryHistory(historyLimit)
  const ratios = { safe: [] as number[], hash: [] as number[], unsafe: [] as number[] }
  let broken = 0
  let skipped = 0
  let measuredFiles = 0
  for await (const run of runs) {
    const ran = run.files.filter((file) => file.status === ('passed' as FileStatus) || file.status === 'failed')
    const actual = new Map(ran.map((file) => [file.fileId, file]))
    const total = ran.reduce((sum, file) => sum + file.durationMs, 0)
    const ideal = Math.max(total / shards, ...ran.map((file) => file.durationMs))
    if (ran.length >= shards && ideal > 0) {
      const makespan = (split: string[][]): number => Math.max(...split.map((shard) => shard.reduce((sum, id) => sum + actual.get(id)!.durationMs, 0)))
      const planFrom = (evidence: InMemoryHistory['evidence']): string[][] =>
        balanceShards(
          ran.map((file) => ({ fileId: file.fileId, predictedMs: evidence.get(file.fileId)?.predictedMs ?? null })),
          shards,
        ).shards
      ratios.safe.push(makespan(planFrom(history.evidence)) / ideal)
      ratios.hash.push(makespan(hashShards(ran.map((file) => file.fileId), shards)) / ideal)
      // Shard k plans from the store after shards 1..k-1 recorded their parts of this run.
      const store = history.clone()
      const took: string[][] = []
      for (let k = 0; k < shards; k++) {
        const mine = planFrom(store.evidence)[k]!
        took.push(mine)
        store.learn(mine.map((id) => actual.get(id)!))
      }
      ratios.unsafe.push(makespan(took) / ideal)
      const counted = took.flat()
      const once = new Set(counted)
      if (once.size !== counted.length || once.size !== ran.length) broken++
      skipped += ran.length - once.size
      measuredFiles += ran.length
    }
    history.learn(run.files.map((file) => ({ fileId: file.fileId, status: file.status, durationMs: file.durationMs })))
  }
  return {
    shards,
    runs: ratios.safe.length,
    safe: score(ratios.safe),
    hash: score(ratios.hash),
    unsafe: score(ratios.unsafe),
    unsafeBroken: ratios.safe.length ? broken / ratios.safe.length : Number.NaN,
    unsafeSkippedShare: measuredFiles ? skipped / measuredFiles : Number.NaN,
  }
}

import type { FileStatus } from '../records.js'
import { balanceShards, hashShards } from '../scheduling/shards.js'
import { InMemoryHistory } from './in-memory-history.js'
import type { ReplayRun } from './replay-history.js'

/** Makespan over ideal per run, for the balanced split and the runners' hash split. */
export interface ShardBalance {
  shards: number
  /** Runs measured: those with at least `shards` files that ran and some time. */
  runs: number
  balancedMedian: number
  hashMedian: number
  /** Share of runs where the balanced split was within 1.10× of the ideal. */
  balancedWithin110: number
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = values.slice().sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Replays a history through the shard planner: for each run, the files that ran are split into
 * `shards` shards from the evidence of the runs before (balanced) and by the runners' SHA-1 split,
 * each shard runs its files one after another with their real durations, and the slowest shard
 * (the makespan) is compared with the ideal: the larger of total/shards and the longest file.
 */
export async function replayShardBalance(runs: Iterable<ReplayRun> | AsyncIterable<ReplayRun>, shards: number, historyLimit = 200): Promise<ShardBalance> {
  const history = new InMemoryHistory(historyLimit)
  const balanced: number[] = []
  const hashed: number[] = []
  for await (const run of runs) {
    const ran = run.files.filter((file) => file.status === ('passed' as FileStatus) || file.status === 'failed')
    const actual = new Map(ran.map((file) => [file.fileId, file.durationMs]))
    const total = ran.reduce((sum, file) => sum + file.durationMs, 0)
    const ideal = Math.max(total / shards, ...ran.map((file) => file.durationMs))
    if (ran.length >= shards && ideal > 0) {
      const makespan = (split: string[][]): number => Math.max(...split.map((shard) => shard.reduce((sum, id) => sum + actual.get(id)!, 0)))
      const split = balanceShards(
        ran.map((file) => ({ fileId: file.fileId, predictedMs: history.evidence.get(file.fileId)?.predictedMs ?? null })),
        shards,
      )
      balanced.push(makespan(split.shards) / ideal)
      hashed.push(makespan(hashShards(ran.map((file) => file.fileId), shards)) / ideal)
    }
    history.learn(run.files.map((file) => ({ fileId: file.fileId, status: file.status, durationMs: file.durationMs })))
  }
  return {
    shards,
    runs: balanced.length,
    balancedMedian: median(balanced),
    hashMedian: median(hashed),
    balancedWithin110: balanced.length ? balanced.filter((ratio) => ratio <= 1.1).length / balanced.length : Number.NaN,
  }
}

import { createHash } from 'node:crypto'
import { compareIds } from './policies/_policy.js'
import { breakTies, sortByKeyDescending } from './key-sort.js'

function indicesUpTo(count: number): number[] {
  const list = new Array<number>(count)
  for (let i = 0; i < count; i++) list[i] = i
  return list
}

/** One file as the shard planner sees it: its id and predicted duration (null when never timed). */
export interface ShardFile {
  fileId: string
  predictedMs: number | null
}

/** A balanced split: file ids per shard (in the order they were placed) and each shard's predicted load. */
export interface ShardSplit {
  shards: string[][]
  /** Predicted ms per shard, counting files never timed as the median of the timed ones. */
  loads: number[]
}

/** Rounds of move/swap improvement after longest-first; each round fixes the worst pair or stops. */
const IMPROVEMENT_ROUNDS = 64

interface Bin {
  files: ShardFile[]
  load: number
  unknown: number
}

function median(values: number[]): number {
  if (values.length === 0) return 0
  const sorted = Float64Array.from(values).sort()
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The bin with the least of `key`, ties by fewer files, then by lower index: never leaves one empty while others fill. */
function lightest(bins: Bin[], key: (bin: Bin) => number): Bin {
  let best = bins[0]!
  for (const bin of bins) {
    const a = key(bin)
    const b = key(best)
    if (a < b || (a === b && bin.files.length < best.files.length)) best = bin
  }
  return best
}

/** Index of the first value in ascending `sorted` that is at least `target`. */
function lowerBound(sorted: Float64Array, target: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (sorted[mid]! < target) low = mid + 1
    else high = mid
  }
  return low
}

/**
 * Tries to lower the heaviest bin by moving one of its files to the lightest bin, or swapping a
 * pair between them: the best change moves a net `gap / 2`, so for each file of the heavy bin the
 * partner is found by binary search. Takes the best change; returns false when nothing helps.
 */
function improve(bins: Bin[], size: (file: ShardFile) => number): boolean {
  let heavy = bins[0]!
  let light = bins[0]!
  for (const bin of bins) {
    if (bin.load > heavy.load) heavy = bin
    if (bin.load < light.load) light = bin
  }
  const gap = heavy.load - light.load
  // A gap under a thousandth of the loads is noise next to the predictions' own error.
  if (gap <= 1e-3 * (heavy.load + light.load) / 2 || heavy.files.length < 2) return false
  const sizes = Float64Array.from(light.files, size)
  const lightOrder = sortByKeyDescending(indicesUpTo(sizes.length), sizes).reverse().map((i) => ({ i, size: sizes[i]! }))
  const lightSizes = Float64Array.from(lightOrder, (entry) => entry.size)
  let bestPeak = heavy.load - 1e-9
  let best: { from: number; to: number } | null = null
  const consider = (from: number, to: number, delta: number): void => {
    if (delta <= 0 || delta >= gap) return
    const peak = Math.max(heavy.load - delta, light.load + delta)
    if (peak < bestPeak) {
      bestPeak = peak
      best = { from, to }
    }
  }
  for (let i = 0; i < heavy.files.length; i++) {
    const a = size(heavy.files[i]!)
    consider(i, -1, a)
    const at = lowerBound(lightSizes, a - gap / 2)
    for (const j of [at - 1, at]) if (j >= 0 && j < lightSizes.length) consider(i, lightOrder[j]!.i, a - lightSizes[j]!)
  }
  if (!best) return false
  const { from, to } = best as { from: number; to: number }
  const moved = heavy.files[from]!
  heavy.files.splice(from, 1)
  heavy.load -= size(moved)
  if (to >= 0) {
    const back = light.files[to]!
    light.files.splice(to, 1)
    light.load -= size(back)
    heavy.files.push(back)
    heavy.load += size(back)
  }
  light.files.push(moved)
  light.load += size(moved)
  return true
}

/**
 * Splits files into `count` shards of nearly equal predicted duration:
 * 1. timed files longest first, each onto the lightest shard (greedy LPT, within 4/3 of the best),
 *    then a few rounds of moving or swapping files between the heaviest and lightest shard;
 * 2. files never timed spread evenly by count, each onto the shard with the fewest of them (then
 *    the lightest), because their size is a guess and a guess should not pile up on one shard.
 * Only ids and history decide, sorted by code units, so every machine computes the same split from
 * the same store, and the union of the shards is every file exactly once. With at least as many
 * files as shards no shard is empty.
 */
export function balanceShards(files: readonly ShardFile[], count: number): ShardSplit {
  const shardCount = Math.max(1, Math.floor(count))
  const bins: Bin[] = Array.from({ length: shardCount }, () => ({ files: [], load: 0, unknown: 0 }))
  const unique = Array.from(new Map(files.map((file) => [file.fileId, file])).values())
  const isTimed = (file: ShardFile): boolean => file.predictedMs !== null && Number.isFinite(file.predictedMs)
  const known = unique.filter(isTimed)
  const unknown = unique.filter((file) => !isTimed(file))
  const guess = median(known.map((file) => file.predictedMs!))
  const size = (file: ShardFile): number => (file.predictedMs !== null && Number.isFinite(file.predictedMs) ? Math.max(0, file.predictedMs) : guess)

  const knownSizes = Float64Array.from(known, size)
  const longestFirst = breakTies(sortByKeyDescending(indicesUpTo(known.length), knownSizes), knownSizes, (a, b) => compareIds(known[a]!.fileId, known[b]!.fileId))
  for (const i of longestFirst) {
    let bin = bins[0]!
    for (const candidate of bins) if (candidate.load < bin.load || (candidate.load === bin.load && candidate.files.length < bin.files.length)) bin = candidate
    bin.files.push(known[i]!)
    bin.load += knownSizes[i]!
  }
  for (let round = 0; round < IMPROVEMENT_ROUNDS && improve(bins, size); round++);

  unknown.sort((a, b) => compareIds(a.fileId, b.fileId))
  for (const file of unknown) {
    const bin = lightest(bins, (candidate) => candidate.unknown * 1e15 + candidate.load)
    bin.files.push(file)
    bin.unknown++
    bin.load += guess
  }
  return {
    shards: bins.map((bin) => bin.files.map((file) => file.fileId)),
    loads: bins.map((bin) => bin.load),
  }
}

/**
 * What Jest and Vitest do by themselves: sort by the SHA-1 of the path and cut into equal counts
 * (sizes differ by at most one), ignoring durations. For comparison in `replay` and the benchmark.
 */
export function hashShards(fileIds: readonly string[], count: number): string[][] {
  const shardCount = Math.max(1, Math.floor(count))
  const hashed = fileIds
    .map((fileId) => ({ fileId, hash: createHash('sha1').update(fileId).digest('hex') }))
    .sort((a, b) => compareIds(a.hash, b.hash))
  const shards: string[][] = []
  let start = 0
  for (let i = 0; i < shardCount; i++) {
    const size = Math.floor(hashed.length / shardCount) + (i < hashed.length % shardCount ? 1 : 0)
    shards.push(hashed.slice(start, start + size).map((entry) => entry.fileId))
    start += size
  }
  return shards
}

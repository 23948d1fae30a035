import type { PlanFile } from '../plan-types.js'
import { compareIds, type PolicyContext, type PolicyOrder } from './_policy.js'

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `shuffle`: a seeded random order, for finding tests that depend on the order they run in. The
 * files are sorted by id before the Fisher–Yates shuffle, so a seed repeats the same order on any
 * machine whatever order the runner listed them in; the seed is printed with every plan.
 */
export function seededShuffle(files: readonly PlanFile[], context: PolicyContext): PolicyOrder {
  const order = Array.from({ length: files.length }, (_, i) => i).sort((a, b) => compareIds(files[a]!.fileId, files[b]!.fileId))
  const random = seededRandom(context.seed)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = order[i]!
    order[i] = order[j]!
    order[j] = swap
  }
  return { order, reason: () => `shuffled with seed ${context.seed}` }
}

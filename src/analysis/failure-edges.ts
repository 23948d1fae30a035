// Which tests fail in the same runs: DTW over failure indicator series on a shared grid of runs.
// Only pairs that fail in the same or an adjacent run are compared, so the work follows the
// failures, not the square of the tests.
import { inputError } from './errors.js'
import type { Kernels } from './kernels.js'

/**
 * The failures of several tests on one grid of runs (position = index of the run in the
 * analysed window): test t failed at positions[offsets[t]..offsets[t+1]), ascending.
 */
export interface FailureGrid {
  offsets: Int32Array
  positions: Int32Array
  /** Runs on the grid. */
  length: number
}

/** Two tests whose failure series match. */
export interface FailureEdge {
  a: number
  b: number
  /** 1 - DTW distance ÷ (failures of a + failures of b), in [0, 1]: 1 = they failed in exactly the same runs. */
  similarity: number
  /** Runs in which both failed. */
  together: number
}

/** Pairs below this similarity are not reported. */
export const MIN_EDGE_SIMILARITY = 0.5
/** Band of the DTW: a failure one run apart (another shard, a re-run) still matches. */
export const EDGE_BAND = 1
/** A run where more tests failed than this (everything broke) says nothing about which fail together. */
export const MAX_FAILURES_PER_RUN = 100
/** At most this many pairs are compared; the pairs sharing the most failing runs go first. */
export const MAX_PAIRS = 200_000

/** Checks a grid's shape; throws ANALYSIS_INPUT. @internal */
export function _checkGrid(grid: FailureGrid): void {
  if (typeof grid !== 'object' || grid === null || !(grid.offsets instanceof Int32Array) || !(grid.positions instanceof Int32Array)) {
    throw inputError('clusters must be a failure grid { offsets, positions, length }')
  }
  if (!Number.isInteger(grid.length) || grid.length < 0) throw inputError('clusters.length must be a non-negative integer')
  for (let i = 0; i < grid.positions.length; i++) {
    const p = grid.positions[i]!
    if (p < 0 || p >= grid.length) throw inputError(`clusters.positions[${i}] is ${p}; it must lie in [0, ${grid.length})`)
  }
}

/** Edges between tests of `grid` whose failures match (see {@link FailureEdge}). @internal */
export function _failureEdges(kernels: Kernels, grid: FailureGrid): FailureEdge[] {
  const tests = grid.offsets.length - 1
  const failingAt: number[][] = Array.from({ length: grid.length }, () => [])
  for (let t = 0; t < tests; t++) {
    for (let p = grid.offsets[t]!; p < grid.offsets[t + 1]!; p++) failingAt[grid.positions[p]!]!.push(t)
  }
  // Candidate pairs: failing in the same run or one run apart, counted by such runs. A failure
  // the band cannot pair costs 1, so the DTW distance is at least fa + fb - 2·shared: pairs
  // whose shared count cannot reach the least similarity are never compared.
  const shared = new Map<number, number>()
  for (let run = 0; run < grid.length; run++) {
    const here = failingAt[run]!
    if (here.length > MAX_FAILURES_PER_RUN) continue
    const next = run + 1 < grid.length && failingAt[run + 1]!.length <= MAX_FAILURES_PER_RUN ? failingAt[run + 1]! : []
    for (let i = 0; i < here.length; i++) {
      for (let j = i + 1; j < here.length; j++) bump(shared, here[i]!, here[j]!, tests)
      for (const other of next) if (other !== here[i]) bump(shared, here[i]!, other, tests)
    }
  }
  const failures = (t: number): number => grid.offsets[t + 1]! - grid.offsets[t]!
  let pairs = [...shared.entries()].filter(([key, count]) => {
    const x = Math.floor(key / tests)
    const total = failures(x) + failures(key % tests)
    return (2 * count) / total >= MIN_EDGE_SIMILARITY
  })
  if (pairs.length > MAX_PAIRS) pairs = pairs.sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, MAX_PAIRS)
  pairs.sort((x, y) => x[0] - y[0])
  const edges: FailureEdge[] = []
  kernels.begin()
  const a = kernels.reserve(grid.length * 8 + 16)
  const b = kernels.reserve(grid.length * 8 + 16)
  const scratch = kernels.reserve((grid.length + 3) * 16)
  for (const [key] of pairs) {
    const x = Math.floor(key / tests)
    const y = key % tests
    const fx = grid.offsets[x + 1]! - grid.offsets[x]!
    const fy = grid.offsets[y + 1]! - grid.offsets[y]!
    const first = Math.max(0, Math.min(grid.positions[grid.offsets[x]!]!, grid.positions[grid.offsets[y]!]!) - 1)
    const last = Math.min(grid.length - 1, Math.max(grid.positions[grid.offsets[x + 1]! - 1]!, grid.positions[grid.offsets[y + 1]! - 1]!) + 1)
    const span = last - first + 1
    const limit = (1 - MIN_EDGE_SIMILARITY) * (fx + fy)
    const va = kernels.f64(a, span).fill(0)
    const vb = kernels.f64(b, span).fill(0)
    for (let p = grid.offsets[x]!; p < grid.offsets[x + 1]!; p++) va[grid.positions[p]! - first] = 1
    for (let p = grid.offsets[y]!; p < grid.offsets[y + 1]!; p++) vb[grid.positions[p]! - first] = 1
    const distance = kernels.exports.dtw(a, span, b, span, EDGE_BAND, limit, scratch)
    if (distance > limit) continue
    let together = 0
    for (let i = 0; i < span; i++) if (va[i] && vb[i]) together++
    edges.push({ a: x, b: y, similarity: 1 - distance / (fx + fy), together })
  }
  return edges
}

function bump(shared: Map<number, number>, i: number, j: number, tests: number): void {
  const key = i < j ? i * tests + j : j * tests + i
  shared.set(key, (shared.get(key) ?? 0) + 1)
}

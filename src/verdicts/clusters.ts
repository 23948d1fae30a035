// Tests that fail together: the pool's edges (pairs whose failure series match by DTW) joined
// into connected groups. Parry et al. (2025) found three quarters of flaky tests in such groups
// with a shared cause; naming the group points at the cause instead of at each symptom.
import type { FailureEdge, FailureGrid } from '../analysis/failure-edges.js'
import type { ClusterReading } from './features.js'
import type { Cluster } from './types.js'

/** Pairs at least this similar join a cluster: most failures of either fall in runs where the other failed. */
export const CLUSTER_SIMILARITY = 0.6

/** A test of the grid: its slice, its name, whether it has definitive flaky evidence. */
export interface GridMember {
  fileId: string
  test: string
  definitive: boolean
}

/** A stable id from the first member's key (FNV-1a, 8 hex digits). */
function clusterId(fileId: string, test: string): string {
  let hash = 0x811c9dc5
  const key = `${fileId}\0${test}`
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return `c-${(hash >>> 0).toString(16).padStart(8, '0')}`
}

/**
 * Groups grid members connected by edges of similarity ≥ {@link CLUSTER_SIMILARITY}. Returns the
 * clusters (largest first) and each member's reading (by grid index) for the `cluster` signal.
 */
export function clustersOf(grid: FailureGrid, seqs: readonly number[], members: readonly GridMember[], edges: readonly FailureEdge[]): { clusters: Cluster[]; readings: Map<number, ClusterReading> } {
  const parent = Int32Array.from(members, (_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!
    return i
  }
  const strong = edges.filter((e) => e.similarity >= CLUSTER_SIMILARITY)
  for (const e of strong) {
    const a = find(e.a)
    const b = find(e.b)
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
  }
  const groups = new Map<number, number[]>()
  members.forEach((_, i) => {
    const root = find(i)
    const group = groups.get(root)
    if (group) group.push(i)
    else groups.set(root, [i])
  })
  const similarity = new Map<number, { sum: number; count: number }>()
  for (const e of strong) {
    const root = find(e.a)
    const s = similarity.get(root) ?? { sum: 0, count: 0 }
    s.sum += e.similarity
    s.count++
    similarity.set(root, s)
  }
  const clusters: Cluster[] = []
  const readings = new Map<number, ClusterReading>()
  for (const [root, group] of groups) {
    if (group.length < 2) continue
    group.sort((x, y) => compareKeys(members[x]!, members[y]!))
    const first = members[group[0]!]!
    const id = clusterId(first.fileId, first.test)
    const s = similarity.get(root)!
    const mean = s.sum / s.count
    // Runs where at least two members failed.
    const failedHere = new Map<number, number>()
    for (const i of group) for (let p = grid.offsets[i]!; p < grid.offsets[i + 1]!; p++) failedHere.set(grid.positions[p]!, (failedHere.get(grid.positions[p]!) ?? 0) + 1)
    const together = [...failedHere].filter(([, count]) => count >= 2).map(([position]) => seqs[position]!).sort((a, b) => a - b)
    const definitive = group.filter((i) => members[i]!.definitive).length
    clusters.push({
      id,
      tests: group.map((i) => ({ fileId: members[i]!.fileId, test: members[i]!.test })),
      similarity: Math.round(mean * 1000) / 1000,
      detail: `${group.length} tests failed together in ${together.length} runs${together.length ? ` (the newest run ${together[together.length - 1]})` : ''}; ${definitive} of them passed on retry or on the same commit`,
    })
    for (const i of group) readings.set(i, { id, size: group.length, similarity: mean, definitive: definitive - (members[i]!.definitive ? 1 : 0) })
  }
  clusters.sort((a, b) => b.tests.length - a.tests.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return { clusters, readings }
}

function compareKeys(a: GridMember, b: GridMember): number {
  return a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : a.test < b.test ? -1 : a.test > b.test ? 1 : 0
}

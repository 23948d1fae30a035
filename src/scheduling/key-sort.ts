/**
 * Sorting indices by a numeric key is the planner's hottest loop: with 50,000 files a comparator
 * sort costs tens of milliseconds, a radix sort on the key's IEEE-754 bits a few. For non-negative
 * doubles the bit pattern, read as an unsigned 64-bit integer, orders like the number, so four
 * stable passes over 16-bit digits sort exactly. Ties keep their input order; callers that need
 * another tie-break reorder equal runs (rare with measured durations).
 */
const DIGIT = 1 << 16

/** `members` sorted by `keys[member]` descending (keys must be >= 0 and not NaN), ties in input order. */
export function sortByKeyDescending(members: readonly number[], keys: Float64Array): number[] {
  const count = members.length
  if (count < 64) return members.slice().sort((a, b) => keys[b]! - keys[a]!)
  const bits = new Float64Array(count)
  for (let i = 0; i < count; i++) bits[i] = keys[members[i]!]!
  const words = new Uint32Array(bits.buffer)
  let order = new Uint32Array(count)
  let next = new Uint32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  const counts = new Uint32Array(DIGIT)
  // Little-endian: word 2i is the low half, 2i + 1 the high half. Least significant digit first.
  for (const [word, shift] of [[0, 0], [0, 16], [1, 0], [1, 16]] as const) {
    counts.fill(0)
    for (let i = 0; i < count; i++) counts[(DIGIT - 1) - ((words[2 * order[i]! + word]! >>> shift) & 0xffff)]!++
    let sum = 0
    for (let d = 0; d < DIGIT; d++) {
      const c = counts[d]!
      counts[d] = sum
      sum += c
    }
    for (let i = 0; i < count; i++) {
      const at = order[i]!
      next[counts[(DIGIT - 1) - ((words[2 * at + word]! >>> shift) & 0xffff)]!++] = at
    }
    ;[order, next] = [next, order]
  }
  const sorted = new Array<number>(count)
  for (let i = 0; i < count; i++) sorted[i] = members[order[i]!]!
  return sorted
}

/** Reorders each run of equal keys in `sorted` by `tieBreak`, in place. */
export function breakTies(sorted: number[], keys: Float64Array, tieBreak: (a: number, b: number) => number): number[] {
  let start = 0
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && keys[sorted[i]!] === keys[sorted[start]!]) continue
    if (i - start > 1) {
      const run = sorted.slice(start, i).sort(tieBreak)
      for (let j = 0; j < run.length; j++) sorted[start + j] = run[j]!
    }
    start = i
  }
  return sorted
}

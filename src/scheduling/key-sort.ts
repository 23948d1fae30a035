/**
 * Sorting indices by a numeric key is the planner's hottest loop: with 50,000 files a comparator
 * sort costs tens of milliseconds, a radix sort on the key's IEEE-754 bits a few. For non-negative
 * numbers the bit pattern, read as an unsigned integer, orders like the number. The radix passes
 * run over the keys rounded to float32 (two passes over 16-bit digits instead of four over the
 * float64 bits: half the work, and it matters most in a fresh process, before the JIT has
 * optimised the loops); rounding is monotonic, so only keys that round to the same float32 can be
 * out of order, and each such run is then put in exact order by a stable comparator sort (runs are
 * rare and short with measured durations). Ties keep their input order; callers that need another
 * tie-break reorder equal runs.
 */
const DIGIT = 1 << 16

/** `members` sorted by `keys[member]` descending (keys must be >= 0 and not NaN), ties in input order. */
export function sortByKeyDescending(members: readonly number[], keys: Float64Array): number[] {
  const count = members.length
  if (count < 64) return members.slice().sort((a, b) => keys[b]! - keys[a]!)
  const rounded = new Float32Array(count)
  // `+ 0` turns -0 into 0, whose bits sort as the smallest.
  for (let i = 0; i < count; i++) rounded[i] = keys[members[i]!]! + 0
  const words = new Uint32Array(rounded.buffer)
  let order = new Uint32Array(count)
  let next = new Uint32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  const counts = new Uint32Array(DIGIT)
  // Least significant digit first; digits are complemented so the largest key comes first.
  for (let shift = 0; shift < 32; shift += 16) {
    counts.fill(0)
    for (let i = 0; i < count; i++) counts[(DIGIT - 1) - ((words[order[i]!]! >>> shift) & 0xffff)]!++
    let sum = 0
    for (let d = 0; d < DIGIT; d++) {
      const c = counts[d]!
      counts[d] = sum
      sum += c
    }
    for (let i = 0; i < count; i++) {
      const at = order[i]!
      next[counts[(DIGIT - 1) - ((words[at]! >>> shift) & 0xffff)]!++] = at
    }
    ;[order, next] = [next, order]
  }
  const sorted = new Array<number>(count)
  for (let i = 0; i < count; i++) sorted[i] = members[order[i]!]!
  let start = 0
  for (let i = 1; i <= count; i++) {
    if (i < count && rounded[order[i]!] === rounded[order[start]!]) continue
    if (i - start > 1) orderExactly(sorted, start, i, keys)
    start = i
  }
  return sorted
}

/** Sorts `sorted[start..end)` by the exact key, descending and stable, unless it is already in order. */
function orderExactly(sorted: number[], start: number, end: number, keys: Float64Array): void {
  let inOrder = true
  for (let i = start + 1; i < end && inOrder; i++) inOrder = keys[sorted[i - 1]!]! >= keys[sorted[i]!]!
  if (inOrder) return
  const run = sorted.slice(start, end).sort((a, b) => keys[b]! - keys[a]!)
  for (let j = 0; j < run.length; j++) sorted[start + j] = run[j]!
}

/** Reorders each run of equal keys in `sorted` by `tieBreak`, in place. */
export function breakTies(sorted: number[], keys: Float64Array, tieBreak: (a: number, b: number) => number): number[] {
  let start = 0
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && keys[sorted[i]!] === keys[sorted[start]!]) continue
    if (i - start > SHORT_RUN) {
      const run = sorted.slice(start, i).sort(tieBreak)
      for (let j = 0; j < run.length; j++) sorted[start + j] = run[j]!
    } else if (i - start > 1) insertionSort(sorted, start, i, tieBreak)
    start = i
  }
  return sorted
}

/**
 * Runs of equal keys are mostly pairs (two files with the same measured duration): sorted in place,
 * without the copy and the library sort a long run needs.
 */
const SHORT_RUN = 8

function insertionSort(values: number[], start: number, end: number, compare: (a: number, b: number) => number): void {
  for (let i = start + 1; i < end; i++) {
    const value = values[i]!
    let j = i - 1
    while (j >= start && compare(values[j]!, value) > 0) {
      values[j + 1] = values[j]!
      j--
    }
    values[j + 1] = value
  }
}

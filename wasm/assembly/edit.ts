// Sequence comparisons on integer-coded sequences (i32). Both keep two rows of the dynamic
// programme, so memory is linear in the shorter side the host puts as `b`.

/** Length of the longest common subsequence of `a` (n) and `b` (m). Scratch: 2·(m+1) i32. */
export function lcsLength(aPtr: usize, n: i32, bPtr: usize, m: i32, scratch: usize): i32 {
  let prev = scratch
  let cur = scratch + ((<usize>m + 1) << 2)
  memory.fill(prev, 0, (<usize>m + 1) << 2)
  store<i32>(cur, 0)
  for (let i = 1; i <= n; i++) {
    const ai = load<i32>(aPtr + (<usize>(i - 1) << 2))
    let left = 0
    for (let j = 1; j <= m; j++) {
      const p = <usize>j << 2
      const value = ai == load<i32>(bPtr + p - 4) ? load<i32>(prev + p - 4) + 1 : max(load<i32>(prev + p), left)
      store<i32>(cur + p, value)
      left = value
    }
    const t = prev
    prev = cur
    cur = t
  }
  return load<i32>(prev + (<usize>m << 2))
}

/**
 * Levenshtein distance between `a` (n) and `b` (m): unit-cost insertion, deletion and
 * substitution. Scratch: 2·(m+1) i32.
 */
export function editDistance(aPtr: usize, n: i32, bPtr: usize, m: i32, scratch: usize): i32 {
  let prev = scratch
  let cur = scratch + ((<usize>m + 1) << 2)
  for (let j = 0; j <= m; j++) store<i32>(prev + (<usize>j << 2), j)
  for (let i = 1; i <= n; i++) {
    const ai = load<i32>(aPtr + (<usize>(i - 1) << 2))
    let left = i
    store<i32>(cur, i)
    for (let j = 1; j <= m; j++) {
      const p = <usize>j << 2
      const substitute = load<i32>(prev + p - 4) + (ai == load<i32>(bPtr + p - 4) ? 0 : 1)
      const value = min(min(load<i32>(prev + p) + 1, left + 1), substitute)
      store<i32>(cur + p, value)
      left = value
    }
    const t = prev
    prev = cur
    cur = t
  }
  return load<i32>(prev + (<usize>m << 2))
}

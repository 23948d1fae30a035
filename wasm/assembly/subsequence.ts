// Subsequence DTW: the whole pattern aligned against any stretch of the series. Row 0 is free
// (a match may start anywhere), and every cell carries the series index where its path started
// so a match can be reported as a window. Ties prefer the diagonal, then vertical, then
// horizontal step, which makes the start of each match deterministic.

/**
 * For each series index j, writes the cheapest alignment of the pattern ending at j
 * (`outDistance`, f64) and its start index (`outStart`, i32). With `window` >= 0 a path is
 * dropped where it strays more than `window` from the diagonal through its own start.
 * Scratch: 2·(n+1) f64 + 2·(n+1) i32.
 */
export function subsequenceDtw(
  pPtr: usize, m: i32, sPtr: usize, n: i32, window: i32,
  outDistance: usize, outStart: usize, scratch: usize,
): void {
  const w: f64 = window < 0 ? Infinity : <f64>window
  const rowF = (<usize>n + 1) << 3
  const rowI = (<usize>n + 1) << 2
  let prevD = scratch
  let curD = prevD + rowF
  let prevS = curD + rowF
  let curS = prevS + rowI
  for (let j = 0; j <= n; j++) {
    store<f64>(prevD + (<usize>j << 3), 0)
    store<i32>(prevS + (<usize>j << 2), j)
  }
  for (let i = 1; i <= m; i++) {
    store<f64>(curD, Infinity)
    store<i32>(curS, 0)
    const pi = load<f64>(pPtr + (<usize>(i - 1) << 3))
    const row = i - 1
    for (let j = 1; j <= n; j++) {
      const pf = <usize>j << 3
      const ps = <usize>j << 2
      const cost = abs(pi - load<f64>(sPtr + pf - 8))
      const diag = load<f64>(prevD + pf - 8)
      const up = load<f64>(prevD + pf)
      const left = load<f64>(curD + pf - 8)
      const diagStart = load<i32>(prevS + ps - 4)
      const upStart = load<i32>(prevS + ps)
      const leftStart = load<i32>(curS + ps - 4)
      let best: f64 = Infinity
      let start = 0
      if (diag < best && inBand(j - 1 - diagStart - row, w)) { best = diag; start = diagStart }
      if (up < best && inBand(j - 1 - upStart - row, w)) { best = up; start = upStart }
      if (left < best && inBand(j - 1 - leftStart - row, w)) { best = left; start = leftStart }
      store<f64>(curD + pf, cost + best)
      store<i32>(curS + ps, start)
    }
    let t = prevD
    prevD = curD
    curD = t
    t = prevS
    prevS = curS
    curS = t
  }
  memory.copy(outDistance, prevD + 8, <usize>n << 3)
  memory.copy(outStart, prevS + 4, <usize>n << 2)
}

// @ts-ignore: decorator
@inline
function inBand(offset: i32, w: f64): bool {
  return <f64>abs(offset) <= w
}

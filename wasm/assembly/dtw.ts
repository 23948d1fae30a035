// Dynamic time warping with |a_i - b_j| as the local cost and the symmetric step pattern
// (diagonal, vertical, horizontal, all weight 1). Rows are kept two at a time in host-provided
// scratch; cells outside the Sakoe-Chiba band are Infinity.

const INF = Infinity

// Inputs are finite and costs non-negative, so NaN and -0 never occur and a compare-and-select
// is an exact minimum. Wasm's f64.min / f64x2.min spend several instructions on those cases;
// pmin is one minpd.
// @ts-ignore: decorator
@inline
function least(a: f64, b: f64): f64 {
  return select<f64>(a, b, a < b)
}

/**
 * Distance between `a` (n values) and `b` (m values), or Infinity when either is empty (and not
 * both) or when the distance exceeds `limit`. `window` < 0 means no band. Scratch: 2·(m+1) f64.
 */
export function dtw(aPtr: usize, n: i32, bPtr: usize, m: i32, window: i32, limit: f64, scratch: usize): f64 {
  if (n == 0 && m == 0) return 0
  if (n == 0 || m == 0) return INF
  const w = bandOf(n, m, window)
  let prev = scratch
  let cur = scratch + ((<usize>m + 1) << 3)
  store<f64>(prev, 0)
  for (let j = 1; j <= m; j++) store<f64>(prev + (<usize>j << 3), INF)
  store<f64>(cur, INF)
  for (let i = 1; i <= n; i++) {
    const from = max(1, i - w)
    const to = min(m, i + w)
    // The next row reads one cell left of and one cell right of this row's band.
    store<f64>(cur + (<usize>(from - 1) << 3), INF)
    if (to < m) store<f64>(cur + (<usize>(to + 1) << 3), INF)
    const ai = load<f64>(aPtr + (<usize>(i - 1) << 3))
    let left = INF
    let rowMin = INF
    for (let j = from; j <= to; j++) {
      const p = <usize>j << 3
      const cost = abs(ai - load<f64>(bPtr + p - 8))
      const value = cost + least(least(load<f64>(prev + p - 8), load<f64>(prev + p)), left)
      store<f64>(cur + p, value)
      left = value
      rowMin = least(rowMin, value)
    }
    // Costs are non-negative, so no path through this row can end below its minimum.
    if (rowMin > limit) return INF
    const t = prev
    prev = cur
    cur = t
  }
  const result = load<f64>(prev + (<usize>m << 3))
  return result > limit ? INF : result
}

/** The band radius actually used: never narrower than |n - m|, or no path would reach (n, m). */
function bandOf(n: i32, m: i32, window: i32): i32 {
  const gap = n > m ? n - m : m - n
  if (window < 0) return max(n, m)
  return max(window, gap)
}

/**
 * `query` against `count` series packed back to back at `seriesPtr`; series k spans
 * [offsets[k], offsets[k+1]) (i32 element offsets). Distances go to `outPtr` (f64 each).
 * Four series of equal length run together, one f64x2 lane each across two vectors: the two
 * vector chains are independent, which hides the add→min latency that bounds a single DTW row.
 * Scratch: 32·m + 64·(m+1) bytes for the longest series m (scalar leftovers need less).
 */
export function dtwMany(
  qPtr: usize, n: i32, seriesPtr: usize, offsetsPtr: usize, count: i32,
  window: i32, limit: f64, outPtr: usize, scratch: usize,
): void {
  let k = 0
  while (k < count) {
    const start = load<i32>(offsetsPtr + (<usize>k << 2))
    const m = load<i32>(offsetsPtr + (<usize>(k + 1) << 2)) - start
    if (k + 4 <= count && n > 0 && m > 0 && sameLength(offsetsPtr, k, m)) {
      dtwFour(qPtr, n, seriesPtr, offsetsPtr, k, m, window, limit, outPtr + (<usize>k << 3), scratch)
      k += 4
    } else {
      store<f64>(outPtr + (<usize>k << 3), dtw(qPtr, n, seriesPtr + (<usize>start << 3), m, window, limit, scratch))
      k += 1
    }
  }
}

function sameLength(offsetsPtr: usize, k: i32, m: i32): bool {
  for (let s = 1; s < 4; s++) {
    const a = load<i32>(offsetsPtr + (<usize>(k + s) << 2))
    const b = load<i32>(offsetsPtr + (<usize>(k + s + 1) << 2))
    if (b - a != m) return false
  }
  return true
}

function dtwFour(
  qPtr: usize, n: i32, seriesPtr: usize, offsetsPtr: usize, k: i32, m: i32,
  window: i32, limit: f64, outPtr: usize, scratch: usize,
): void {
  // Interleave the four series: at j, [s0 s1] then [s2 s3], 32 bytes per position.
  const s0 = seriesPtr + (<usize>load<i32>(offsetsPtr + (<usize>k << 2)) << 3)
  const s1 = seriesPtr + (<usize>load<i32>(offsetsPtr + (<usize>(k + 1) << 2)) << 3)
  const s2 = seriesPtr + (<usize>load<i32>(offsetsPtr + (<usize>(k + 2) << 2)) << 3)
  const s3 = seriesPtr + (<usize>load<i32>(offsetsPtr + (<usize>(k + 3) << 2)) << 3)
  const lanes = scratch
  for (let j = 0; j < m; j++) {
    const src = <usize>j << 3
    const dst = lanes + (<usize>j << 5)
    v128.store(dst, f64x2(load<f64>(s0 + src), load<f64>(s1 + src)))
    v128.store(dst, f64x2(load<f64>(s2 + src), load<f64>(s3 + src)), 16)
  }
  const rowBytes = (<usize>m + 1) << 5
  let prev = lanes + (<usize>m << 5)
  let cur = prev + rowBytes
  const inf = f64x2.splat(INF)
  const limits = f64x2.splat(limit)
  v128.store(prev, f64x2.splat(0))
  v128.store(prev, f64x2.splat(0), 16)
  for (let j = 1; j <= m; j++) {
    v128.store(prev + (<usize>j << 5), inf)
    v128.store(prev + (<usize>j << 5), inf, 16)
  }
  v128.store(cur, inf)
  v128.store(cur, inf, 16)
  const w = bandOf(n, m, window)
  for (let i = 1; i <= n; i++) {
    const from = max(1, i - w)
    const to = min(m, i + w)
    const edge = cur + (<usize>(from - 1) << 5)
    v128.store(edge, inf)
    v128.store(edge, inf, 16)
    if (to < m) {
      const right = cur + (<usize>(to + 1) << 5)
      v128.store(right, inf)
      v128.store(right, inf, 16)
    }
    const q = f64x2.splat(load<f64>(qPtr + (<usize>(i - 1) << 3)))
    let leftA = inf
    let leftB = inf
    let minA = inf
    let minB = inf
    for (let j = from; j <= to; j++) {
      const p = <usize>j << 5
      const lane = lanes + p - 32
      const costA = f64x2.abs(f64x2.sub(q, v128.load(lane)))
      const costB = f64x2.abs(f64x2.sub(q, v128.load(lane, 16)))
      const diagA = v128.load(prev + p - 32)
      const diagB = v128.load(prev + p - 16)
      const upA = v128.load(prev + p)
      const upB = v128.load(prev + p, 16)
      leftA = f64x2.add(costA, f64x2.pmin(f64x2.pmin(diagA, upA), leftA))
      leftB = f64x2.add(costB, f64x2.pmin(f64x2.pmin(diagB, upB), leftB))
      v128.store(cur + p, leftA)
      v128.store(cur + p, leftB, 16)
      minA = f64x2.pmin(minA, leftA)
      minB = f64x2.pmin(minB, leftB)
    }
    // Stop only when all four lanes are past the limit; each lane is re-checked at the end.
    if (!v128.any_true(f64x2.le(f64x2.pmin(minA, minB), limits))) {
      for (let s = 0; s < 4; s++) store<f64>(outPtr + (<usize>s << 3), INF)
      return
    }
    const t = prev
    prev = cur
    cur = t
  }
  const endA = v128.load(prev + (<usize>m << 5))
  const endB = v128.load(prev + (<usize>m << 5), 16)
  storeLimited(outPtr, f64x2.extract_lane(endA, 0), limit)
  storeLimited(outPtr + 8, f64x2.extract_lane(endA, 1), limit)
  storeLimited(outPtr + 16, f64x2.extract_lane(endB, 0), limit)
  storeLimited(outPtr + 24, f64x2.extract_lane(endB, 1), limit)
}

function storeLimited(ptr: usize, value: f64, limit: f64): void {
  store<f64>(ptr, value > limit ? INF : value)
}

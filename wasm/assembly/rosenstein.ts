// Largest Lyapunov exponent by Rosenstein, Collins & De Luca (1993): embed the series with a
// time delay, pair every point with its nearest neighbour outside a Theiler window, follow each
// pair forward and fit a line to the mean log distance against time.

// Output layout, in f64 slots.
const OUT_EXPONENT = 0
const OUT_PAIRS = 1
const OUT_PREDICTION_ERROR = 2
const OUT_FIT = 3
const OUT_DIVERGENCE = 4

/**
 * Runs the method on `n` values at `xPtr`. `fit` < 0 picks the fit length from the curve (the
 * steps until it has covered half its rise). Squared distances below `floor2` count as `floor2`
 * while following pairs: separations at rounding level carry no dynamics.
 * Writes [exponent, pairs, predictionError, fit, divergence[0..steps)] to `outPtr`.
 * Scratch: 3·n f64.
 */
export function rosenstein(
  xPtr: usize, n: i32, dimension: i32, delay: i32, theiler: i32, steps: i32, fit: i32,
  floor2: f64, outPtr: usize, scratch: usize,
): void {
  const span = (dimension - 1) * delay
  const points = n - span
  const divergence = outPtr + (OUT_DIVERGENCE << 3)
  for (let k = 0; k < steps; k++) store<f64>(divergence + (<usize>k << 3), NaN)
  store<f64>(outPtr + (OUT_EXPONENT << 3), 0)
  store<f64>(outPtr + (OUT_PAIRS << 3), 0)
  store<f64>(outPtr + (OUT_PREDICTION_ERROR << 3), 0)
  store<f64>(outPtr + (OUT_FIT << 3), 0)
  if (points <= 0) return
  const best = scratch
  const neighbour = best + (<usize>points << 3)
  const squares = neighbour + (<usize>points << 3)
  nearestNeighbours(xPtr, n, points, dimension, delay, theiler, best, neighbour, squares)

  let pairs = 0
  for (let i = 0; i < points; i++) if (load<f64>(neighbour + (<usize>i << 3)) >= 0) pairs++
  store<f64>(outPtr + (OUT_PAIRS << 3), <f64>pairs)

  for (let k = 0; k < steps; k++) {
    let sum: f64 = 0
    let count = 0
    for (let i = 0; i + k < points; i++) {
      const j = <i32>load<f64>(neighbour + (<usize>i << 3))
      if (j < 0 || j + k >= points) continue
      const d2 = max(distance2(xPtr, i + k, j + k, dimension, delay), floor2)
      if (d2 > 0) {
        sum += 0.5 * Math.log(d2)
        count++
      }
    }
    if (count > 0) store<f64>(divergence + (<usize>k << 3), sum / <f64>count)
  }

  const used = fit < 0 ? fitLength(divergence, steps) : min(fit, steps)
  store<f64>(outPtr + (OUT_FIT << 3), <f64>used)
  store<f64>(outPtr + (OUT_EXPONENT << 3), slope(divergence, used))

  // One-step prediction by the neighbour's successor: small for deterministic dynamics,
  // about √2·σ_innovation for noise.
  let errorSum: f64 = 0
  let errorCount = 0
  for (let i = 0; i < points; i++) {
    const j = <i32>load<f64>(neighbour + (<usize>i << 3))
    if (j < 0 || i + span + 1 >= n || j + span + 1 >= n) continue
    const e = load<f64>(xPtr + (<usize>(i + span + 1) << 3)) - load<f64>(xPtr + (<usize>(j + span + 1) << 3))
    errorSum += e * e
    errorCount++
  }
  store<f64>(outPtr + (OUT_PREDICTION_ERROR << 3), errorCount > 0 ? Math.sqrt(errorSum / <f64>errorCount) : 0)
}

// @ts-ignore: decorator
@inline
function distance2(xPtr: usize, i: i32, j: i32, dimension: i32, delay: i32): f64 {
  let s: f64 = 0
  for (let k = 0; k < dimension; k++) {
    const d = load<f64>(xPtr + (<usize>(i + k * delay) << 3)) - load<f64>(xPtr + (<usize>(j + k * delay) << 3))
    s += d * d
  }
  return s
}

/**
 * For every embedded point, the nearest other point more than `theiler` steps away, ties to the
 * lowest index. Pairs are visited by lag L = j - i: the squared differences (x_t - x_{t+L})² are
 * computed once per lag and shared by all `dimension` coordinates, each pair updates both of its
 * points, and consecutive i run two to a f64x2 vector. Neighbour indices are kept as f64 so one
 * lane mask selects distance and index together.
 */
function nearestNeighbours(
  xPtr: usize, n: i32, points: i32, dimension: i32, delay: i32, theiler: i32,
  best: usize, neighbour: usize, squares: usize,
): void {
  for (let i = 0; i < points; i++) {
    store<f64>(best + (<usize>i << 3), Infinity)
    store<f64>(neighbour + (<usize>i << 3), -1)
  }
  const step = <usize>delay << 3
  for (let lag = max(theiler + 1, 1); lag < points; lag++) {
    const shifted = xPtr + (<usize>lag << 3)
    const terms = n - lag
    let t = 0
    for (; t + 2 <= terms; t += 2) {
      const p = <usize>t << 3
      const d = f64x2.sub(v128.load(xPtr + p), v128.load(shifted + p))
      v128.store(squares + p, f64x2.mul(d, d))
    }
    for (; t < terms; t++) {
      const p = <usize>t << 3
      const d = load<f64>(xPtr + p) - load<f64>(shifted + p)
      store<f64>(squares + p, d * d)
    }
    const count = points - lag
    const lagV = f64x2.splat(<f64>lag)
    let i = 0
    for (; i + 2 <= count; i += 2) {
      const p = <usize>i << 3
      let d = v128.load(squares + p)
      let q = squares + p
      for (let k = 1; k < dimension; k++) {
        q += step
        d = f64x2.add(d, v128.load(q))
      }
      const here = f64x2(<f64>i, <f64>(i + 1))
      offer(best + p, neighbour + p, d, f64x2.add(here, lagV))
      const there = <usize>(i + lag) << 3
      offer(best + there, neighbour + there, d, here)
    }
    for (; i < count; i++) {
      const d = scalarDistance(squares, i, dimension, delay)
      offerOne(i, i + lag, d, best, neighbour)
      offerOne(i + lag, i, d, best, neighbour)
    }
  }
}

// @ts-ignore: decorator
@inline
function offer(bestPtr: usize, neighbourPtr: usize, d: v128, candidate: v128): void {
  const b = v128.load(bestPtr)
  const current = v128.load(neighbourPtr)
  const take = v128.or(f64x2.lt(d, b), v128.and(f64x2.eq(d, b), f64x2.lt(candidate, current)))
  v128.store(bestPtr, v128.bitselect(d, b, take))
  v128.store(neighbourPtr, v128.bitselect(candidate, current, take))
}

// @ts-ignore: decorator
@inline
function scalarDistance(squares: usize, i: i32, dimension: i32, delay: i32): f64 {
  let d = load<f64>(squares + (<usize>i << 3))
  for (let k = 1; k < dimension; k++) d += load<f64>(squares + (<usize>(i + k * delay) << 3))
  return d
}

// @ts-ignore: decorator
@inline
function offerOne(point: i32, candidate: i32, d: f64, best: usize, neighbour: usize): void {
  const pb = best + (<usize>point << 3)
  const pn = neighbour + (<usize>point << 3)
  const b = load<f64>(pb)
  const c = <f64>candidate
  if (d < b || (d == b && c < load<f64>(pn))) {
    store<f64>(pb, d)
    store<f64>(pn, c)
  }
}

/** Steps until the curve first reaches halfway between its start and its peak (at least 2). */
function fitLength(divergence: usize, steps: i32): i32 {
  let first: f64 = NaN
  let peak: f64 = -Infinity
  for (let k = 0; k < steps; k++) {
    const y = load<f64>(divergence + (<usize>k << 3))
    if (isNaN(y)) continue
    if (isNaN(first)) first = y
    if (y > peak) peak = y
  }
  if (isNaN(first) || !(peak > first)) return steps
  const half = first + 0.5 * (peak - first)
  for (let k = 0; k < steps; k++) {
    const y = load<f64>(divergence + (<usize>k << 3))
    if (y >= half) return min(max(k + 1, 2), steps)
  }
  return steps
}

/** Least-squares slope of divergence[k] against k over k < used, skipping undefined steps. */
function slope(divergence: usize, used: i32): f64 {
  let sk: f64 = 0
  let sy: f64 = 0
  let skk: f64 = 0
  let sky: f64 = 0
  let count: f64 = 0
  for (let k = 0; k < used; k++) {
    const y = load<f64>(divergence + (<usize>k << 3))
    if (isNaN(y)) continue
    const kf = <f64>k
    sk += kf
    sy += y
    skk += kf * kf
    sky += kf * y
    count += 1
  }
  const denominator = count * skk - sk * sk
  return count >= 2 && denominator > 0 ? (count * sky - sk * sy) / denominator : 0
}

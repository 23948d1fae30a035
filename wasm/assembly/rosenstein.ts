// Largest Lyapunov exponent by Rosenstein, Collins & De Luca (1993): embed the series with a
// time delay, pair every point with its nearest neighbour outside a Theiler window, follow each
// pair forward and fit a line to the mean log distance against time.

// Output layout, in f64 slots.
const OUT_EXPONENT = 0
const OUT_PAIRS = 1
const OUT_PREDICTION_ERROR = 2
const OUT_FIT = 3
const OUT_PREDICTIONS = 4
const OUT_DIVERGENCE = 5

/**
 * Runs the method on `n` values at `xPtr`. `fit` < 0 picks the fit length from the curve (the
 * steps until it has covered half its rise). Squared distances below `floor2` count as `floor2`
 * while following pairs: separations at rounding level carry no dynamics.
 * Writes [exponent, pairs, predictionError, fit, predictions, divergence[0..steps)] to `outPtr`.
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
  store<f64>(outPtr + (OUT_PREDICTIONS << 3), 0)
  if (points <= 0) return
  const best = scratch
  const neighbour = best + (<usize>points << 3)
  const squares = neighbour + (<usize>points << 3)
  nearestNeighbours(xPtr, n, points, dimension, delay, theiler, best, neighbour, squares)

  let pairs = 0
  for (let i = 0; i < points; i++) if (load<f64>(neighbour + (<usize>i << 3)) >= 0) pairs++
  store<f64>(outPtr + (OUT_PAIRS << 3), <f64>pairs)

  divergenceCurve(xPtr, points, dimension, delay, steps, floor2, neighbour, divergence)
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
  store<f64>(outPtr + (OUT_PREDICTIONS << 3), <f64>errorCount)
}

// Eight products of values in [2^-100, 2^100] stay far inside the f64 range.
const PRODUCT_MIN: f64 = 7.888609052210118e-31
const PRODUCT_MAX: f64 = 1.2676506002282294e30
const PRODUCTS_PER_RENORMALISE = 8

/**
 * Mean ln distance of the neighbour pairs k steps on, for k < steps (NaN where no pair is
 * left). Σ ln(d²) is taken without a logarithm per pair: the d² are multiplied together and
 * every few products the binary exponent moves into an integer sum; one logarithm per step.
 */
function divergenceCurve(
  xPtr: usize, points: i32, dimension: i32, delay: i32, steps: i32, floor2: f64,
  neighbour: usize, divergence: usize,
): void {
  for (let k = 0; k < steps; k++) {
    let mantissa: f64 = 1
    let exponent: i64 = 0
    let outliers: f64 = 0
    let count = 0
    let pending = 0
    for (let i = 0; i + k < points; i++) {
      const j = <i32>load<f64>(neighbour + (<usize>i << 3))
      if (j < 0 || j + k >= points) continue
      let d2 = distance2(xPtr, i + k, j + k, dimension, delay)
      if (d2 < floor2) d2 = floor2
      if (!(d2 > 0)) continue
      count++
      if (d2 < PRODUCT_MIN || d2 > PRODUCT_MAX) {
        outliers += Math.log(d2)
        continue
      }
      mantissa *= d2
      if (++pending == PRODUCTS_PER_RENORMALISE) {
        const bits = reinterpret<u64>(mantissa)
        exponent += <i64>((bits >> 52) & 0x7ff) - 1023
        mantissa = reinterpret<f64>((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)
        pending = 0
      }
    }
    if (count > 0) {
      const total = <f64>exponent * Math.LN2 + Math.log(mantissa) + outliers
      // ln(distance) = ½·ln(squared distance).
      store<f64>(divergence + (<usize>k << 3), 0.5 * total / <f64>count)
    }
  }
}

// @ts-ignore: decorator
@inline
function distance2(xPtr: usize, i: i32, j: i32, dimension: i32, delay: i32): f64 {
  let a = xPtr + (<usize>i << 3)
  let b = xPtr + (<usize>j << 3)
  const step = <usize>delay << 3
  let d = load<f64>(a) - load<f64>(b)
  let s = d * d
  for (let k = 1; k < dimension; k++) {
    a += step
    b += step
    d = load<f64>(a) - load<f64>(b)
    s += d * d
  }
  return s
}

/**
 * For every embedded point, the nearest other point more than `theiler` steps away; among equal
 * distances the one closest in time, then the earlier one. Pairs are visited by lag L = j - i,
 * smallest first, so a strict "<" keeps exactly that choice. The squared differences
 * (x_t - x_{t+L})² are computed once per lag and shared by all `dimension` coordinates, and each
 * pair is offered to both of its points. Consecutive i run in f64x2 vectors, which first only
 * compare: a new nearest neighbour is rare (about ln M times per point), so the common case
 * stores nothing.
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
    const lagBytes = <usize>lag << 3
    let i = 0
    // Eight pairs per step where their early and later points cannot overlap; four for lags 4
    // to 7, and for the rest of each lag; one at a time at the very end.
    if (lag >= 8) {
      for (; i + 8 <= count; i += 8) {
        const p = <usize>i << 3
        let d = v128.load(squares + p)
        let e = v128.load(squares + p, 16)
        let f = v128.load(squares + p, 32)
        let g = v128.load(squares + p, 48)
        let q = squares + p
        for (let k = 1; k < dimension; k++) {
          q += step
          d = f64x2.add(d, v128.load(q))
          e = f64x2.add(e, v128.load(q, 16))
          f = f64x2.add(f, v128.load(q, 32))
          g = f64x2.add(g, v128.load(q, 48))
        }
        const early = best + p
        const later = early + lagBytes
        const bd = f64x2.pmax(v128.load(early), v128.load(later))
        const be = f64x2.pmax(v128.load(early, 16), v128.load(later, 16))
        const bf = f64x2.pmax(v128.load(early, 32), v128.load(later, 32))
        const bg = f64x2.pmax(v128.load(early, 48), v128.load(later, 48))
        const any = v128.or(v128.or(f64x2.lt(d, bd), f64x2.lt(e, be)), v128.or(f64x2.lt(f, bf), f64x2.lt(g, bg)))
        if (!v128.any_true(any)) continue
        const lagV = f64x2.splat(<f64>lag)
        const iD = f64x2(<f64>i, <f64>(i + 1))
        const iE = f64x2(<f64>(i + 2), <f64>(i + 3))
        const iF = f64x2(<f64>(i + 4), <f64>(i + 5))
        const iG = f64x2(<f64>(i + 6), <f64>(i + 7))
        select4(later, neighbour + p + lagBytes, d, e, v128.load(later), v128.load(later, 16), iD, iE)
        select4(later + 32, neighbour + p + lagBytes + 32, f, g, v128.load(later, 32), v128.load(later, 48), iF, iG)
        select4(early, neighbour + p, d, e, v128.load(early), v128.load(early, 16), f64x2.add(iD, lagV), f64x2.add(iE, lagV))
        select4(early + 32, neighbour + p + 32, f, g, v128.load(early, 32), v128.load(early, 48), f64x2.add(iF, lagV), f64x2.add(iG, lagV))
      }
    }
    for (; i + 4 <= count; i += 4) {
      const p = <usize>i << 3
      let d = v128.load(squares + p)
      let e = v128.load(squares + p, 16)
      let q = squares + p
      for (let k = 1; k < dimension; k++) {
        q += step
        d = f64x2.add(d, v128.load(q))
        e = f64x2.add(e, v128.load(q, 16))
      }
      const early = best + p
      const later = early + lagBytes
      const earlyD = v128.load(early)
      const earlyE = v128.load(early, 16)
      const laterD = v128.load(later)
      const laterE = v128.load(later, 16)
      // A pair beats one of its two points exactly when it is below the larger of their bests.
      if (!v128.any_true(v128.or(f64x2.lt(d, f64x2.pmax(earlyD, laterD)), f64x2.lt(e, f64x2.pmax(earlyE, laterE))))) continue
      if (lag < 4) {
        offerFour(i, lag, d, e, best, neighbour)
        continue
      }
      // From lag 4 the early points i..i+3 and the later points i+lag.. are distinct, so both
      // updates can be vector selects; later points still go first, as the tie rule needs.
      const indexD = f64x2(<f64>i, <f64>(i + 1))
      const indexE = f64x2(<f64>(i + 2), <f64>(i + 3))
      const lagV = f64x2.splat(<f64>lag)
      select4(later, neighbour + p + lagBytes, d, e, laterD, laterE, indexD, indexE)
      select4(early, neighbour + p, d, e, earlyD, earlyE, f64x2.add(indexD, lagV), f64x2.add(indexE, lagV))
    }
    for (; i < count; i++) {
      const d = scalarDistance(squares, i, dimension, delay)
      offerOne(i + lag, i, d, best, neighbour)
      offerOne(i, i + lag, d, best, neighbour)
    }
  }
}

/** Takes d/e (with candidates cd/ce) into the four points at bestPtr where they are closer. */
// @ts-ignore: decorator
@inline
function select4(bestPtr: usize, neighbourPtr: usize, d: v128, e: v128, bd: v128, be: v128, cd: v128, ce: v128): void {
  const takeD = f64x2.lt(d, bd)
  const takeE = f64x2.lt(e, be)
  v128.store(bestPtr, v128.bitselect(d, bd, takeD))
  v128.store(bestPtr, v128.bitselect(e, be, takeE), 16)
  v128.store(neighbourPtr, v128.bitselect(cd, v128.load(neighbourPtr), takeD))
  v128.store(neighbourPtr, v128.bitselect(ce, v128.load(neighbourPtr, 16), takeE), 16)
}

/**
 * Offers the pairs (i+s, i+s+lag), s = 0..3, to both of their points. Later points take their
 * earlier partner first: with small lags the lanes overlap, and the tie rule needs point P to
 * see P - lag before P + lag.
 */
function offerFour(i: i32, lag: i32, d: v128, e: v128, best: usize, neighbour: usize): void {
  const d0 = f64x2.extract_lane(d, 0)
  const d1 = f64x2.extract_lane(d, 1)
  const d2 = f64x2.extract_lane(e, 0)
  const d3 = f64x2.extract_lane(e, 1)
  offerOne(i + lag, i, d0, best, neighbour)
  offerOne(i + lag + 1, i + 1, d1, best, neighbour)
  offerOne(i + lag + 2, i + 2, d2, best, neighbour)
  offerOne(i + lag + 3, i + 3, d3, best, neighbour)
  offerOne(i, i + lag, d0, best, neighbour)
  offerOne(i + 1, i + 1 + lag, d1, best, neighbour)
  offerOne(i + 2, i + 2 + lag, d2, best, neighbour)
  offerOne(i + 3, i + 3 + lag, d3, best, neighbour)
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
  if (d < load<f64>(pb)) {
    store<f64>(pb, d)
    store<f64>(neighbour + (<usize>point << 3), <f64>candidate)
  }
}

/** Steps until the curve first reaches halfway between its start and its peak (at least 2); all steps when it does not rise. */
function fitLength(divergence: usize, steps: i32): i32 {
  let first: f64 = NaN
  let peak: f64 = -Infinity
  for (let k = 0; k < steps; k++) {
    const y = load<f64>(divergence + (<usize>k << 3))
    if (isNaN(y)) continue
    if (isNaN(first)) first = y
    if (y > peak) peak = y
  }
  // A rise of a billionth of a nat is rounding in the mean, not separation.
  if (isNaN(first) || !(peak - first > 1e-9)) return steps
  // Within a billionth of the rise counts as reached: a curve that lands exactly on the
  // halfway mark must not depend on the last bit of a sum of logarithms.
  const half = first + (0.5 - 1e-9) * (peak - first)
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

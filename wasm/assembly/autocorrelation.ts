// Autocorrelation and moments. The lag sums are the hot part (n·maxLag products) and run two
// f64x2 accumulators wide; the mean and the denominator keep the plain left-to-right order.

/** Writes [mean, population variance] of `n` values at `xPtr` to `outPtr`; [0, 0] when n = 0. */
export function meanAndVariance(xPtr: usize, n: i32, outPtr: usize): void {
  if (n == 0) {
    store<f64>(outPtr, 0)
    store<f64>(outPtr, 0, 8)
    return
  }
  let sum: f64 = 0
  for (let t = 0; t < n; t++) sum += load<f64>(xPtr + (<usize>t << 3))
  const mean = sum / <f64>n
  let squares: f64 = 0
  for (let t = 0; t < n; t++) {
    const d = load<f64>(xPtr + (<usize>t << 3)) - mean
    squares += d * d
  }
  store<f64>(outPtr, mean)
  store<f64>(outPtr, squares / <f64>n, 8)
}

/**
 * Biased autocorrelation r(0..maxLag) of `n` values: Σ y_t·y_{t+k} / Σ y_t² with y = x - mean.
 * A constant series has r(0) = 1 and r(k) = 0 beyond. Lags at or past n are 0.
 * Scratch: n f64 (the centred series).
 */
export function autocorrelation(xPtr: usize, n: i32, maxLag: i32, outPtr: usize, scratch: usize): void {
  for (let k = 0; k <= maxLag; k++) store<f64>(outPtr + (<usize>k << 3), 0)
  if (n == 0) return
  let sum: f64 = 0
  for (let t = 0; t < n; t++) sum += load<f64>(xPtr + (<usize>t << 3))
  const mean = sum / <f64>n
  let denominator: f64 = 0
  for (let t = 0; t < n; t++) {
    const y = load<f64>(xPtr + (<usize>t << 3)) - mean
    store<f64>(scratch + (<usize>t << 3), y)
    denominator += y * y
  }
  store<f64>(outPtr, 1)
  if (denominator == 0) return
  const last = min(maxLag, n - 1)
  for (let k = 1; k <= last; k++) {
    const count = n - k
    const shifted = scratch + (<usize>k << 3)
    let accA = f64x2.splat(0)
    let accB = f64x2.splat(0)
    let t = 0
    for (; t + 4 <= count; t += 4) {
      const p = <usize>t << 3
      accA = f64x2.add(accA, f64x2.mul(v128.load(scratch + p), v128.load(shifted + p)))
      accB = f64x2.add(accB, f64x2.mul(v128.load(scratch + p, 16), v128.load(shifted + p, 16)))
    }
    const acc = f64x2.add(accA, accB)
    let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1)
    for (; t < count; t++) s += load<f64>(scratch + (<usize>t << 3)) * load<f64>(shifted + (<usize>t << 3))
    store<f64>(outPtr + (<usize>k << 3), s / denominator)
  }
}

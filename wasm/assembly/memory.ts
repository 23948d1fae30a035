/** First byte after the module's static data: the host's arena starts here. */
export function heapBase(): usize {
  return __heap_base
}

/**
 * Index of the first NaN or ±Infinity among `length` f64 values at `ptr`, or -1.
 * `x - x` is 0 for every finite x and NaN otherwise, so one comparison per lane finds both.
 */
export function firstNonFinite(ptr: usize, length: i32): i32 {
  let i = 0
  for (; i + 2 <= length; i += 2) {
    const v = v128.load(ptr + (<usize>i << 3))
    const d = f64x2.sub(v, v)
    if (v128.any_true(f64x2.ne(d, d))) {
      return isFinite(load<f64>(ptr + (<usize>i << 3))) ? i + 1 : i
    }
  }
  for (; i < length; i++) {
    if (!isFinite(load<f64>(ptr + (<usize>i << 3)))) return i
  }
  return -1
}

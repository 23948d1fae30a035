// Plain TypeScript versions of every analysis kernel. They are test oracles and benchmark
// baselines only: the library never imports this file. Each one is written for clarity, in the
// same arithmetic order as the WebAssembly kernel, so results agree to the last bit except where
// Math.log/Math.sqrt implementations differ (a few ulps).

/** Sakoe-Chiba banded DTW with |a_i - b_j| cost; Infinity when no path or above `abandonAbove`. */
export function dtwReference(a: ArrayLike<number>, b: ArrayLike<number>, options: { window?: number; abandonAbove?: number } = {}): number {
  const n = a.length
  const m = b.length
  if (n === 0 && m === 0) return 0
  if (n === 0 || m === 0) return Infinity
  const window = Math.max(options.window ?? Infinity, Math.abs(n - m))
  const limit = options.abandonAbove ?? Infinity
  let prev = new Float64Array(m + 1).fill(Infinity)
  let cur = new Float64Array(m + 1).fill(Infinity)
  prev[0] = 0
  for (let i = 1; i <= n; i++) {
    cur.fill(Infinity)
    const from = Math.max(1, i - window)
    const to = Math.min(m, i + window)
    let rowMin = Infinity
    for (let j = from; j <= to; j++) {
      const cost = Math.abs(a[i - 1]! - b[j - 1]!)
      const best = Math.min(prev[j - 1]!, prev[j]!, cur[j - 1]!)
      const value = cost + best
      cur[j] = value
      if (value < rowMin) rowMin = value
    }
    if (rowMin > limit) return Infinity
    const swap = prev
    prev = cur
    cur = swap
  }
  const result = prev[m]!
  return result > limit ? Infinity : result
}

/** Subsequence DTW: per end index, the cheapest alignment of the whole pattern and its start. */
export function subsequenceReference(pattern: ArrayLike<number>, series: ArrayLike<number>, window = Infinity): { distance: Float64Array; start: Int32Array } {
  const m = pattern.length
  const n = series.length
  let prevD = new Float64Array(n + 1)
  let prevS = new Int32Array(n + 1)
  let curD = new Float64Array(n + 1)
  let curS = new Int32Array(n + 1)
  for (let j = 0; j <= n; j++) prevS[j] = j
  for (let i = 1; i <= m; i++) {
    curD[0] = Infinity
    curS[0] = 0
    for (let j = 1; j <= n; j++) {
      const cost = Math.abs(pattern[i - 1]! - series[j - 1]!)
      let best = Infinity
      let start = 0
      const diag = prevD[j - 1]!
      const up = prevD[j]!
      const left = curD[j - 1]!
      // Candidates in fixed order (diagonal, vertical, horizontal); a strictly smaller value wins.
      if (diag < best && Math.abs(j - 1 - prevS[j - 1]! - (i - 1)) <= window) { best = diag; start = prevS[j - 1]! }
      if (up < best && Math.abs(j - 1 - prevS[j]! - (i - 1)) <= window) { best = up; start = prevS[j]! }
      if (left < best && Math.abs(j - 1 - curS[j - 1]! - (i - 1)) <= window) { best = left; start = curS[j - 1]! }
      curD[j] = cost + best
      curS[j] = start
    }
    ;[prevD, curD] = [curD, prevD]
    ;[prevS, curS] = [curS, prevS]
  }
  return { distance: prevD.slice(1), start: prevS.slice(1) }
}

/** Best non-overlapping matches of `pattern` in `series`, as findSimilar documents them. */
export function findSimilarReference(pattern: ArrayLike<number>, series: ArrayLike<number>, options: { window?: number; limit?: number } = {}): { start: number; end: number; distance: number }[] {
  if (pattern.length === 0 || series.length === 0) return []
  const { distance, start } = subsequenceReference(pattern, series, options.window ?? Infinity)
  const candidates: { start: number; end: number; distance: number }[] = []
  for (let j = 0; j < distance.length; j++) {
    if (Number.isFinite(distance[j]!)) candidates.push({ start: start[j]!, end: j + 1, distance: distance[j]! })
  }
  candidates.sort((x, y) => x.distance - y.distance || x.start - y.start || x.end - y.end)
  const taken: { start: number; end: number; distance: number }[] = []
  const limit = options.limit ?? 5
  for (const candidate of candidates) {
    if (taken.length >= limit) break
    if (taken.every((t) => candidate.end <= t.start || candidate.start >= t.end)) taken.push(candidate)
  }
  return taken
}

/** Length of the longest common subsequence. */
export function lcsReference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let prev = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    const cur = [0]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!)
    }
    prev = cur
  }
  return prev[b.length]!
}

/** Levenshtein distance: unit-cost insertions, deletions and substitutions. */
export function editDistanceReference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]!
}

/** Biased autocorrelation r(0..maxLag); all zeros but r(0) = 1 when the series is constant. */
export function autocorrelationReference(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length
  const out = new Float64Array(maxLag + 1)
  if (n === 0) return out
  let sum = 0
  for (let t = 0; t < n; t++) sum += x[t]!
  const mean = sum / n
  const y = Float64Array.from({ length: n }, (_, t) => x[t]! - mean)
  let denominator = 0
  for (let t = 0; t < n; t++) denominator += y[t]! * y[t]!
  out[0] = 1
  if (denominator === 0) return out
  for (let k = 1; k <= maxLag && k < n; k++) {
    // The kernel's summation order: four interleaved partial sums over whole groups of four
    // products, combined as (s0 + s2) + (s1 + s3), then the leftover products in order.
    const count = n - k
    const whole = count - (count % 4)
    const partial = [0, 0, 0, 0]
    for (let t = 0; t < whole; t++) partial[t % 4]! += y[t]! * y[t + k]!
    let s = partial[0]! + partial[2]! + (partial[1]! + partial[3]!)
    for (let t = whole; t < count; t++) s += y[t]! * y[t + k]!
    out[k] = s / denominator
  }
  return out
}

/** Rosenstein's method as documented on `lyapunov`, with every parameter given explicitly. */
export function rosensteinReference(
  x: ArrayLike<number>,
  p: { dimension: number; delay: number; theiler: number; steps: number; fit: number | 'auto'; floor2: number },
): { exponent: number; divergence: Float64Array; pairs: number; fit: number; predictionError: number; predictions: number } {
  const n = x.length
  const span = (p.dimension - 1) * p.delay
  const points = n - span
  const divergence = new Float64Array(p.steps).fill(NaN)
  if (points <= 0) return { exponent: 0, divergence, pairs: 0, fit: 0, predictionError: 0, predictions: 0 }
  const distance2 = (i: number, j: number): number => {
    let s = 0
    for (let k = 0; k < p.dimension; k++) {
      const d = x[i + k * p.delay]! - x[j + k * p.delay]!
      s += d * d
    }
    return s
  }
  // Nearest neighbour; among equal distances the closest in time, then the earlier one.
  const neighbour = new Int32Array(points).fill(-1)
  for (let i = 0; i < points; i++) {
    let best = Infinity
    for (let lag = p.theiler + 1; lag < points; lag++) {
      for (const j of [i - lag, i + lag]) {
        if (j < 0 || j >= points) continue
        const d = distance2(i, j)
        if (d < best) {
          best = d
          neighbour[i] = j
        }
      }
    }
  }
  let pairs = 0
  for (let i = 0; i < points; i++) if (neighbour[i]! >= 0) pairs++
  for (let k = 0; k < p.steps; k++) {
    let sum = 0
    let count = 0
    for (let i = 0; i + k < points; i++) {
      const j = neighbour[i]!
      if (j < 0 || j + k >= points) continue
      const d = Math.max(distance2(i + k, j + k), p.floor2)
      if (d > 0) {
        sum += 0.5 * Math.log(d)
        count++
      }
    }
    if (count > 0) divergence[k] = sum / count
  }
  const fit = p.fit === 'auto' ? autoFit(divergence) : Math.min(p.fit, p.steps)
  const exponent = slope(divergence, fit)
  let errorSum = 0
  let predictions = 0
  for (let i = 0; i < points; i++) {
    const j = neighbour[i]!
    if (j < 0 || i + span + 1 >= n || j + span + 1 >= n) continue
    const e = x[i + span + 1]! - x[j + span + 1]!
    errorSum += e * e
    predictions++
  }
  return { exponent, divergence, pairs, fit, predictionError: predictions > 0 ? Math.sqrt(errorSum / predictions) : 0, predictions }
}

function autoFit(y: Float64Array): number {
  const defined = Array.from(y).filter((v) => !Number.isNaN(v))
  if (defined.length === 0) return y.length
  const first = defined[0]!
  const peak = Math.max(...defined)
  if (!(peak - first > 1e-9)) return y.length
  const half = first + (0.5 - 1e-9) * (peak - first)
  for (let k = 0; k < y.length; k++) if (y[k]! >= half) return Math.min(Math.max(k + 1, 2), y.length)
  return y.length
}

function slope(y: Float64Array, used: number): number {
  let sk = 0, sy = 0, skk = 0, sky = 0, count = 0
  for (let k = 0; k < used; k++) {
    if (Number.isNaN(y[k]!)) continue
    sk += k
    sy += y[k]!
    skk += k * k
    sky += k * y[k]!
    count++
  }
  const denominator = count * skk - sk * sk
  return count >= 2 && denominator > 0 ? (count * sky - sk * sy) / denominator : 0
}

function variance(x: ArrayLike<number>): number {
  const n = x.length
  if (n === 0) return 0
  let sum = 0
  for (let t = 0; t < n; t++) sum += x[t]!
  const mean = sum / n
  let squares = 0
  for (let t = 0; t < n; t++) squares += (x[t]! - mean) * (x[t]! - mean)
  return squares / n
}

/** `lyapunov` with its documented defaults. */
export function lyapunovReference(x: ArrayLike<number>, options: { dimension?: number; delay?: number; theiler?: number; steps?: number; fit?: number } = {}) {
  const n = x.length
  const dimension = options.dimension ?? 3
  const maxDelay = Math.max(1, Math.floor(n / (4 * Math.max(1, dimension - 1))))
  let delay = options.delay ?? 0
  if (delay === 0) {
    const r = autocorrelationReference(x, maxDelay)
    delay = 1
    while (delay < maxDelay && r[delay]! > 1 / Math.E) delay++
  }
  const theiler = options.theiler ?? dimension * delay
  const points = Math.max(0, n - (dimension - 1) * delay)
  const steps = options.steps ?? Math.min(20, Math.max(2, Math.floor(points / 10)))
  const floor = 1e-9 * Math.sqrt(variance(x))
  const result = rosensteinReference(x, { dimension, delay, theiler, steps, fit: options.fit ?? 'auto', floor2: floor * floor })
  return { ...result, dimension, delay, theiler, steps }
}

/** `dominantPeriod` as documented. */
export function dominantPeriodReference(x: ArrayLike<number>): { period: number | null; strength: number } {
  const n = x.length
  if (n < 4) return { period: null, strength: 0 }
  const maxLag = Math.floor(n / 2)
  const r = autocorrelationReference(x, maxLag)
  let zero = 1
  while (zero <= maxLag && r[zero]! > 0) zero++
  if (zero > maxLag) return { period: null, strength: 0 }
  let highest = zero
  for (let k = zero + 1; k <= maxLag; k++) if (r[k]! > r[highest]!) highest = k
  if (r[highest]! < Math.max(0.3, 3 / Math.sqrt(n))) return { period: null, strength: Math.max(r[highest]!, 0) }
  // The first local maximum reaching 80% of the highest one.
  let peak = highest
  for (let k = zero; k < highest; k++) {
    if (r[k]! >= 0.8 * r[highest]! && r[k]! >= r[k - 1]! && r[k]! >= r[k + 1]!) {
      peak = k
      break
    }
  }
  const strength = r[peak]!
  let period = peak
  let exact = true
  for (let t = 0; t + peak < n; t++) if (x[t] !== x[t + peak]) exact = false
  if (peak > 1 && peak < maxLag && !exact) {
    const [left, centre, right] = [peak - 1, peak, peak + 1].map((k) => (r[k]! * n) / (n - k)) as [number, number, number]
    const curvature = left - 2 * centre + right
    if (curvature < 0) period += Math.max(-0.5, Math.min(0.5, (0.5 * (left - right)) / curvature))
  }
  return { period, strength }
}

/** `classifyAttractor` as documented. */
export function classifyAttractorReference(x: ArrayLike<number>) {
  const n = x.length
  const v = variance(x)
  if (n < 2 || v === 0) return { kind: 'fixed-point', exponent: 0, period: null, periodStrength: 0, autocorrelation: 0, variance: v, settledRatio: 0, determinism: 1 }
  const tail = Math.max(2, Math.floor(n / 4))
  const settledRatio = variance(Array.from(x).slice(n - tail)) / v
  const r = autocorrelationReference(x, Math.max(1, Math.floor(n / 2)))
  const autocorrelation = r[1] ?? 0
  const { period, strength } = dominantPeriodReference(x)
  const l = lyapunovReference(x)
  let determinism = 0
  if (l.predictions > 0) {
    const linearError = Math.sqrt(v) * Math.sqrt(Math.max(1 - autocorrelation ** 2, 1e-12))
    determinism = Math.min(1, Math.max(0, 1 - l.predictionError / (Math.SQRT2 * linearError)))
  }
  let kind = 'stochastic'
  if (settledRatio < 0.01) kind = 'fixed-point'
  else if (period !== null && strength >= 0.5) kind = 'limit-cycle'
  else if (determinism >= 0.5 && l.exponent > 0.05) kind = 'chaotic'
  return { kind, exponent: l.exponent, period, periodStrength: strength, autocorrelation, variance: v, settledRatio, determinism }
}

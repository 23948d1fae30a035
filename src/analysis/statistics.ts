// Small exact statistics for the history signals: log-gamma, the Beta function and its
// regularised incomplete form, and hypergeometric tails (Fisher's exact test). Counts in test
// histories are small, where normal approximations mislead.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
]

/** ln Γ(x) for x > 0 (Lanczos, g = 7, about 15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x)
  const z = x - 1
  let sum = LANCZOS[0]!
  for (let i = 1; i < 9; i++) sum += LANCZOS[i]! / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

/** ln B(a, b). */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b)
}

// ln k! for the small integer counts of test histories, computed once.
const LN_FACTORIAL = new Float64Array(1025)
for (let k = 2; k < LN_FACTORIAL.length; k++) LN_FACTORIAL[k] = LN_FACTORIAL[k - 1]! + Math.log(k)

function lnFactorial(n: number): number {
  return n < LN_FACTORIAL.length && Number.isInteger(n) ? LN_FACTORIAL[n]! : lnGamma(n + 1)
}

function lnChoose(n: number, k: number): number {
  return lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k)
}

/**
 * log10 of P(X ≥ k) for X hypergeometric: `draws` items taken without replacement from `population`
 * items of which `successes` are marked. The one-sided p-value of Fisher's exact test for "the
 * marked items gather in the draw". 0 (p = 1) when k is at or below what is always reached.
 */
export function hypergeometricUpperLog10(population: number, successes: number, draws: number, k: number): number {
  const low = Math.max(k, 0, draws - (population - successes))
  const high = Math.min(successes, draws)
  if (low > high) return -Infinity
  if (k <= Math.max(0, draws - (population - successes))) return 0
  // The terms fall from the first (the tail starts past the mode), so summing relative to it is stable.
  const total = lnChoose(population, draws)
  const first = lnChoose(successes, low) + lnChoose(population - successes, draws - low) - total
  let sum = 0
  for (let i = low; i <= high; i++) {
    const term = lnChoose(successes, i) + lnChoose(population - successes, draws - i) - total
    sum += Math.exp(term - first)
  }
  return Math.min(0, (first + Math.log(sum)) / Math.LN10)
}

/**
 * The regularised incomplete Beta function I_x(a, b): the CDF at x of a Beta(a, b) variable
 * (continued fraction, Numerical Recipes §6.4).
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - lnBeta(a, b))
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a
  return 1 - (front * betaFraction(1 - x, b, a)) / b
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 200; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const step = d * c
    h *= step
    if (Math.abs(step - 1) < 3e-14) break
  }
  return h
}

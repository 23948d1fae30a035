// Measures of one test's run history (outcomes, attempts, code states, durations, messages, the
// files that ran before it), computed with the WebAssembly kernels. These are numbers, not
// verdicts: src/verdicts turns them into features, weighs them and explains them.
import { measureDurations, measureHours, measureMessages, measureOrder } from './history-context.js'
import { DEFINITIVE_HALF_LIFE, INTERMITTENT_HIGH, INTERMITTENT_LOW, OUTCOME_HALF_LIFE, STEP_BAND, STEP_WINDOW, _emptyMeasures, weight, type HistoryMeasures, type HistoryScratch, type PackedHistories } from './history-types.js'
import type { Kernels } from './kernels.js'
import { _autocorrelationAt, _periodFromAutocorrelation } from './periodicity.js'
import { incompleteBeta } from './statistics.js'

export * from './history-types.js'
export { tokenise } from './history-context.js'

/**
 * Measures history k of `h` with the kernels (DTW of outcome windows, autocorrelation for the
 * period, edit distance between tokenised messages, Rosenstein's exponent and the attractor class
 * of the durations) and plain counting for the rest. `h.messages` starts at message
 * `messageBase` of the whole batch. @internal
 */
export function _measureHistory(kernels: Kernels, h: PackedHistories, k: number, scratch: HistoryScratch, messageBase = 0): HistoryMeasures {
  kernels.begin()
  const from = h.starts[k]!
  const n = h.ends[k]! - from
  const outcomesPtr = kernels.reserve(n * 8)
  const m: HistoryMeasures = _emptyMeasures(n)
  if (n === 0) return m

  // Outcome counts, recency weights, definitive evidence and transitions in one pass.
  const states = new Map<number, number>() // code → bit 1: passed, bit 2: failed; newest failure index in the upper bits
  let weights = 0
  let failedWeight = 0
  let flipWeight = 0
  let flipNorm = 0
  let transitionWeight = 0
  let unchangedWeight = 0
  let attemptWeight = 0
  for (let i = 0; i < n; i++) {
    const at = from + i
    const failed = h.failed[at]!
    const w = weight(n - 1 - i, OUTCOME_HALF_LIFE)
    weights += w
    failedWeight += w * failed
    attemptWeight += w * h.attempts[at]!
    if (failed) {
      m.failures++
      if (m.firstFailure < 0) m.firstFailure = i
      m.lastFailure = i
    } else if (h.attempts[at]! > 1) {
      m.passedOnRetry++
      m.passedOnRetryWeighted += weight(n - 1 - i, DEFINITIVE_HALF_LIFE)
    }
    const code = h.codes[at]!
    if (code >= 0) {
      const seen = states.get(code) ?? 0
      states.set(code, failed ? ((seen & 3) | 2) + (i + 1) * 4 : (seen | 1))
    }
    if (i > 0) {
      flipNorm += w
      if (failed !== h.failed[at - 1]) {
        m.flips++
        flipWeight += w
        m.transitions++
        transitionWeight += w
        if (!h.changed[at]) {
          m.unchangedTransitions++
          unchangedWeight += w
        }
      }
    }
  }
  const outcomes = kernels.f64(outcomesPtr, n)
  for (let i = 0; i < n; i++) outcomes[i] = h.failed[from + i]!
  let newestMixed = -1
  for (const [code, seen] of states) {
    if ((seen & 3) !== 3) continue
    const newestFailure = (seen >> 2) - 1
    m.mixedStates++
    m.mixedWeighted += weight(n - 1 - newestFailure, DEFINITIVE_HALF_LIFE)
    if (newestFailure > newestMixed) {
      newestMixed = newestFailure
      m.mixedCode = code
    }
  }
  m.flipRate = flipNorm > 0 ? flipWeight / flipNorm : 0
  m.failureShare = failedWeight / weights
  m.entropy = binaryEntropy(m.failureShare)
  m.betaA = 0.5 + failedWeight
  m.betaB = 0.5 + (weights - failedWeight)
  m.intermittent = incompleteBeta(INTERMITTENT_HIGH, m.betaA, m.betaB) - incompleteBeta(INTERMITTENT_LOW, m.betaA, m.betaB)
  m.unchangedShare = transitionWeight > 0 ? unchangedWeight / transitionWeight : 0
  m.expectedAttempts = attemptWeight / weights

  measureStreaks(h, from, n, states, m)
  if (m.failures === 0) return m
  measureStep(kernels, outcomesPtr, outcomes, n, m)
  if (m.failures >= 3 && m.failures < n && n >= 12) {
    const r = _autocorrelationAt(kernels, outcomesPtr, n, Math.floor(n / 2))
    const estimate = _periodFromAutocorrelation(r, kernels.f64(outcomesPtr, n))
    if (estimate.period !== null) {
      m.period = estimate.period
      m.periodStrength = estimate.strength
    }
  }
  if (m.failures >= 3) measureHours(h, from, n, m)
  measureMessages(kernels, h, k, messageBase, m)
  measureDurations(kernels, h, from, n, m)
  if (m.failures >= 2) measureOrder(h, k, from, n, m, scratch)
  return m
}

function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0
  return -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p))
}

/** The current failing streak and, when the newest run passed, the newest failure block. */
function measureStreaks(h: PackedHistories, from: number, n: number, states: Map<number, number>, m: HistoryMeasures): void {
  const passedOn = (i: number): boolean => {
    const code = h.codes[from + i]!
    return code >= 0 && ((states.get(code) ?? 0) & 1) === 1
  }
  let streak = 0
  while (streak < n && h.failed[from + n - 1 - streak]) streak++
  m.streak = streak
  for (let i = n - streak; i < n; i++) if (passedOn(i)) m.streakDefinitive = 1
  let a = 0.5
  let b = 0.5
  for (let i = 0; i < n - streak; i++) {
    const w = weight(n - streak - 1 - i, OUTCOME_HALF_LIFE)
    if (h.failed[from + i]) a += w
    else b += w
  }
  m.preStreakA = a
  m.preStreakB = b
  if (streak > 0 || m.lastFailure < 0) return
  const end = m.lastFailure
  let start = end
  while (start > 0 && h.failed[from + start - 1]) start--
  m.lastBlock = end - start + 1
  m.passesSince = n - 1 - end
  for (let i = start; i <= end; i++) if (passedOn(i)) m.blockDefinitive = 1
  for (let i = end + 1; i < n; i++) if (h.attempts[from + i]! > 1) m.blockDefinitive = 1
  m.fixChanged = h.changed[from + end + 1]!
}

/**
 * DTW between the window ending at the newest failure and every earlier window of the same
 * length that ends before that failure's block of consecutive failures began. Scattered flips
 * recur in some earlier window (a small distance); the block of a regression, long or short,
 * recent or fixed, matches nothing before it (distance = its failures).
 */
function measureStep(kernels: Kernels, ptr: number, outcomes: Float64Array, n: number, m: HistoryMeasures): void {
  const end = m.lastFailure
  let blockStart = end
  while (blockStart > 0 && outcomes[blockStart - 1]) blockStart--
  const start = Math.max(0, end - STEP_WINDOW + 1)
  const length = end - start + 1
  let fails = 0
  let run = 0
  let longest = 0
  for (let i = start; i <= end; i++) {
    if (outcomes[i]) {
      fails++
      run++
      if (run > longest) longest = run
    } else run = 0
  }
  m.stepFailures = fails
  m.stepContiguity = longest / fails
  if (blockStart - length < 0) return
  const scratch = kernels.reserve((length + 1) * 16)
  let best = Infinity
  for (let i = 0; i + length <= blockStart && best > 0; i++) {
    const d = kernels.exports.dtw(ptr + start * 8, length, ptr + i * 8, length, STEP_BAND, best, scratch)
    if (d < best) best = d
  }
  m.stepNovelty = Math.min(1, best / fails)
}


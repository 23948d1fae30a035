// Measures of one test's run history (outcomes, attempts, code states, durations, messages, the
// files that ran before it), computed with the WebAssembly kernels. These are numbers, not
// verdicts: src/verdicts turns them into features, weighs them and explains them.
import { _classifyAt, type AttractorKind } from './attractor.js'
import { inputError } from './errors.js'
import type { Kernels } from './kernels.js'
import { _autocorrelationAt, _momentsAt, _periodFromAutocorrelation } from './periodicity.js'
import { hypergeometricUpperLog10, incompleteBeta } from './statistics.js'

/**
 * Test histories packed into per-observation columns, oldest run first: history k's
 * observations are [starts[k], ends[k]) of every column. Histories may share observations (a
 * test's history as it was some runs ago is a prefix of its history now).
 */
export interface PackedHistories {
  starts: Int32Array
  ends: Int32Array
  /** 1 where the final status was failed. */
  failed: Uint8Array
  /** Attempts in that run (1 = no retry). */
  attempts: Int32Array
  durations: Float64Array
  /** The test's timeout in ms, NaN when unknown. */
  timeouts: Float64Array
  /** Epoch ms when the run started. */
  startedAt: Float64Array
  /** Clean code state as an id shared by all histories, -1 when unknown or dirty. */
  codes: Int32Array
  /** 1 where the test or a source linked to it changed since the previous run. */
  changed: Uint8Array
  /** History k's newest failure messages, newest first, are messages[messageOffsets[k]..messageOffsets[k+1]). */
  messageOffsets: Int32Array
  messages: string[]
  /** 1 where the run's order is known (only those runs count for order dependence). */
  orderKnown: Uint8Array
  /**
   * Observation i's earlier files are before[beforeOffsets[i]..beforeOffsets[i+1]). The caller
   * may keep only candidate files (those before the test in every failing run): the others
   * cannot explain its failures.
   */
  beforeOffsets: Int32Array
  /** File ids in [0, fileCount). */
  before: Int32Array
  /** One more than the largest file id. */
  fileCount: number
  /**
   * Per history: the files the order test considered (before it in its newest failing run), for
   * the multiple-comparison correction when `before` holds only the candidates; 0 = count them.
   */
  orderFiles: Int32Array
}

/** What {@link measureHistory} found in one history. NaN means "not measurable here". */
export interface HistoryMeasures {
  /** Observations measured. */
  runs: number
  failures: number
  /** Runs that passed on retry, raw and weighted by recency (half-life {@link DEFINITIVE_HALF_LIFE} runs). */
  passedOnRetry: number
  passedOnRetryWeighted: number
  /** Clean code states with both a final pass and a final failure, raw and weighted by the recency of their newest failure. */
  mixedStates: number
  mixedWeighted: number
  /** The code id of the mixed state with the newest failure, -1 when none. */
  mixedCode: number
  /** Share of consecutive runs whose outcome differs, weighted by recency (half-life {@link OUTCOME_HALF_LIFE}). */
  flipRate: number
  flips: number
  /** Recency-weighted share of failed runs, and its binary entropy in bits. */
  failureShare: number
  entropy: number
  /** Beta posterior of the failure rate (Jeffreys prior, recency-weighted counts). */
  betaA: number
  betaB: number
  /** Posterior probability that the failure rate lies in [{@link INTERMITTENT_LOW}, {@link INTERMITTENT_HIGH}]. */
  intermittent: number
  /** Failures in the window of {@link STEP_WINDOW} runs ending at the newest failure. */
  stepFailures: number
  /** Least DTW distance from that window to any window before its block of failures, per failure in it, at most 1; NaN without such windows. */
  stepNovelty: number
  /** The longest run of consecutive failures in that window, over its failures. */
  stepContiguity: number
  /** Dominant period of the outcome series in runs (NaN: none) and the autocorrelation there. */
  period: number
  periodStrength: number
  /** The UTC hours [hourFrom, hourFrom + hourWidth) where failures gather most (NaN: too few failures). */
  hourFrom: number
  hourWidth: number
  hourFailures: number
  hourRuns: number
  /** log10 of Fisher's exact p-value for that gathering, times the windows it was chosen from (Bonferroni); 0 = nothing. */
  hourLog10P: number
  /** Messages compared (the newest {@link MESSAGES}), their mean normalised token edit distance (NaN below 2). */
  messages: number
  messageDiversity: number
  /** Failure messages that say the test timed out. */
  timeoutMessages: number
  /** Attractor class of the newest {@link DURATION_TAIL} durations as an index of ATTRACTOR_KINDS (-1: too short). */
  durationKind: number
  exponent: number
  determinism: number
  /** Standard deviation over mean of those durations. */
  durationCv: number
  /** Runs with a known timeout; runs that took at least {@link NEAR_TIMEOUT} of it; the recency-weighted share. */
  timedRuns: number
  nearTimeoutRuns: number
  nearTimeoutShare: number
  /** Largest duration ÷ timeout seen. */
  maxTimeoutRatio: number
  /** The file that ran before the test in every failing run and explains its failures best, -1 when none. */
  orderFile: number
  /** Runs with that file before, and failures among them; runs without it, and failures among them (runs of unknown order left out). */
  orderWith: number
  orderWithFailed: number
  orderWithout: number
  orderWithoutFailed: number
  /** log10 of Fisher's exact p-value, times the files considered (Bonferroni); 0 = nothing. */
  orderLog10P: number
  /** Changes of outcome, those on runs where nothing linked changed, and the recency-weighted share of the latter. */
  transitions: number
  unchangedTransitions: number
  unchangedShare: number
  /** Consecutive failures ending at the newest run; 1 if a pass on the same clean code state contradicts one of them. */
  streak: number
  streakDefinitive: number
  /** Beta posterior of the failure rate before that streak (recency-weighted from its start). */
  preStreakA: number
  preStreakB: number
  /** When the newest run passed: the newest block of consecutive failures, runs since it, and whether flaky evidence touched it. */
  lastBlock: number
  passesSince: number
  blockDefinitive: number
  /** 1 when the first pass after that block came with a change to the test or its sources. */
  fixChanged: number
  /** Recency-weighted mean attempts per run. */
  expectedAttempts: number
  /** Index of the first and the newest failure, -1 when none. */
  firstFailure: number
  lastFailure: number
}

/** Every field of {@link HistoryMeasures}, in the order the worker packs them. */
export const MEASURE_KEYS = [
  'runs', 'failures', 'passedOnRetry', 'passedOnRetryWeighted', 'mixedStates', 'mixedWeighted', 'mixedCode', 'flipRate', 'flips',
  'failureShare', 'entropy', 'betaA', 'betaB', 'intermittent', 'stepFailures', 'stepNovelty', 'stepContiguity', 'period', 'periodStrength',
  'hourFrom', 'hourWidth', 'hourFailures', 'hourRuns', 'hourLog10P', 'messages', 'messageDiversity', 'timeoutMessages', 'durationKind',
  'exponent', 'determinism', 'durationCv', 'timedRuns', 'nearTimeoutRuns', 'nearTimeoutShare', 'maxTimeoutRatio', 'orderFile', 'orderWith',
  'orderWithFailed', 'orderWithout', 'orderWithoutFailed', 'orderLog10P', 'transitions', 'unchangedTransitions', 'unchangedShare', 'streak',
  'streakDefinitive', 'preStreakA', 'preStreakB', 'lastBlock', 'passesSince', 'blockDefinitive', 'fixChanged', 'expectedAttempts',
  'firstFailure', 'lastFailure',
] as const satisfies readonly (keyof HistoryMeasures)[]

// A compile-time check that MEASURE_KEYS lists every field.
type Missing = Exclude<keyof HistoryMeasures, (typeof MEASURE_KEYS)[number]>
const _complete: Missing extends never ? true : Missing = true
void _complete

/** The attractor classes in the order `durationKind` indexes them. */
export const ATTRACTOR_KINDS: readonly AttractorKind[] = ['fixed-point', 'limit-cycle', 'chaotic', 'stochastic']

/** Half-life in runs of the weights on outcomes: Kowalczyk et al. (2020) weigh recent flips more. */
export const OUTCOME_HALF_LIFE = 20
/** Half-life in runs of definitive evidence: a retry pass 50 runs ago counts half. */
export const DEFINITIVE_HALF_LIFE = 50
/** Runs in the outcome window compared by DTW for a step change. */
export const STEP_WINDOW = 8
/** Sakoe-Chiba band of that comparison: a failure one or two runs earlier still matches. */
export const STEP_BAND = 2
/** Newest failure messages compared. */
export const MESSAGES = 8
/** Tokens per message kept for the comparison. */
export const MESSAGE_TOKENS = 48
/** Newest durations analysed for instability. */
export const DURATION_TAIL = 128
/** A run "near its timeout" took at least this share of it. */
export const NEAR_TIMEOUT = 0.8
/** Failing runs of known order needed before order dependence is measured: a block of two or three failures shares its orders by chance. */
export const ORDER_MIN_FAILURES = 4
/** The failure-rate band called intermittent. */
export const INTERMITTENT_LOW = 0.01
export const INTERMITTENT_HIGH = 0.9

const TIMEOUT_MESSAGE = /time[ds]?[\s-]?out|ETIMEDOUT/i
const HOUR = 3_600_000
const DAY = 24 * HOUR
const HOUR_WIDTHS = [1, 2, 3, 4, 6, 8]

/** Scratch reused across the histories of one chunk (order-dependence counting by file id). */
export class HistoryScratch {
  readonly stamp: Int32Array
  readonly count: Int32Array
  generation = 0
  constructor(fileCount: number) {
    this.stamp = new Int32Array(fileCount)
    this.count = new Int32Array(fileCount)
  }
}

/** Checks the shape of packed histories once per batch; throws ANALYSIS_INPUT naming the column. @internal */
export function _checkPacked(h: PackedHistories): void {
  if (typeof h !== 'object' || h === null) throw inputError('histories must be packed histories')
  if (!(h.starts instanceof Int32Array) || !(h.ends instanceof Int32Array) || h.starts.length !== h.ends.length) throw inputError('histories.starts and .ends must be Int32Arrays of one entry per history')
  const total = h.failed?.length ?? 0
  const count = h.starts.length
  for (let k = 0; k < count; k++) {
    if (!(h.starts[k]! >= 0 && h.starts[k]! <= h.ends[k]! && h.ends[k]! <= total)) throw inputError(`histories[${k}] spans [${h.starts[k]}, ${h.ends[k]}), outside the ${total} observations`)
  }
  for (const name of ['failed', 'attempts', 'durations', 'timeouts', 'startedAt', 'codes', 'changed', 'orderKnown'] as const) {
    if (!ArrayBuffer.isView(h[name]) || h[name].length !== total) throw inputError(`histories.${name} must hold one value per observation (${total})`)
  }
  if (!(h.messageOffsets instanceof Int32Array) || h.messageOffsets.length !== count + 1) throw inputError('histories.messageOffsets must hold one offset per history, and one more')
  if (!Array.isArray(h.messages) || h.messages.length !== h.messageOffsets[h.messageOffsets.length - 1]) throw inputError('histories.messages must end where messageOffsets does')
  if (h.beforeOffsets.length !== total + 1) throw inputError(`histories.beforeOffsets must hold ${total + 1} offsets`)
  if (!Number.isInteger(h.fileCount) || h.fileCount < 0) throw inputError('histories.fileCount must be a non-negative integer')
  if (!(h.orderFiles instanceof Int32Array) || h.orderFiles.length !== count) throw inputError('histories.orderFiles must hold one count per history')
}

// Recency weights 2^(-age / half-life) for the ages a window can have, computed once.
const WEIGHTS = new Map<number, Float64Array>()
function weight(age: number, halfLife: number): number {
  let table = WEIGHTS.get(halfLife)
  if (!table) WEIGHTS.set(halfLife, (table = Float64Array.from({ length: 4096 }, (_, a) => Math.pow(2, -a / halfLife))))
  return age < table.length ? table[age]! : Math.pow(2, -age / halfLife)
}

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

/** Measures of a history with no readings yet. @internal */
export function _emptyMeasures(runs: number): HistoryMeasures {
  // One literal, so every measures object shares a shape.
  return {
    runs, failures: 0, passedOnRetry: 0, passedOnRetryWeighted: 0, mixedStates: 0, mixedWeighted: 0, mixedCode: -1, flipRate: 0, flips: 0,
    failureShare: 0, entropy: 0, betaA: 0.5, betaB: 0.5, intermittent: 0, stepFailures: 0, stepNovelty: NaN, stepContiguity: 0, period: NaN,
    periodStrength: 0, hourFrom: NaN, hourWidth: 0, hourFailures: 0, hourRuns: 0, hourLog10P: 0, messages: 0, messageDiversity: NaN,
    timeoutMessages: 0, durationKind: -1, exponent: NaN, determinism: NaN, durationCv: NaN, timedRuns: 0, nearTimeoutRuns: 0,
    nearTimeoutShare: 0, maxTimeoutRatio: 0, orderFile: -1, orderWith: 0, orderWithFailed: 0, orderWithout: 0, orderWithoutFailed: 0,
    orderLog10P: 0, transitions: 0, unchangedTransitions: 0, unchangedShare: 0, streak: 0, streakDefinitive: 0, preStreakA: 0.5,
    preStreakB: 0.5, lastBlock: 0, passesSince: 0, blockDefinitive: 0, fixChanged: 0, expectedAttempts: 1, firstFailure: -1, lastFailure: -1,
  }
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

/** The band of UTC hours where failures gather most, by Fisher's exact test. */
function measureHours(h: PackedHistories, from: number, n: number, m: HistoryMeasures): void {
  const runs = new Int32Array(24)
  const fails = new Int32Array(24)
  for (let i = 0; i < n; i++) {
    const t = h.startedAt[from + i]!
    if (!Number.isFinite(t)) continue
    const hour = Math.floor((((t % DAY) + DAY) % DAY) / HOUR)
    runs[hour]!++
    fails[hour]! += h.failed[from + i]!
  }
  let total = 0
  let failures = 0
  for (let hour = 0; hour < 24; hour++) {
    total += runs[hour]!
    failures += fails[hour]!
  }
  if (failures < 3) return
  // For each width, the window with the largest excess of failures over what the overall rate
  // predicts (in standard deviations) gets the exact test: a handful of hypergeometric tails.
  let best = 0
  const rate = failures / total
  for (const width of HOUR_WIDTHS) {
    let chosen = -1
    let chosenScore = 0
    let inRuns = 0
    let inFails = 0
    for (let j = 0; j < width; j++) {
      inRuns += runs[j]!
      inFails += fails[j]!
    }
    for (let start = 0; start < 24; start++) {
      if (start > 0) {
        inRuns += runs[(start + width - 1) % 24]! - runs[start - 1]!
        inFails += fails[(start + width - 1) % 24]! - fails[start - 1]!
      }
      if (inRuns === 0 || inRuns === total) continue
      const score = (inFails - rate * inRuns) / Math.sqrt(rate * (1 - rate) * inRuns + 1e-9)
      if (score > chosenScore) {
        chosenScore = score
        chosen = start
      }
    }
    if (chosen < 0) continue
    inRuns = 0
    inFails = 0
    for (let j = 0; j < width; j++) {
      inRuns += runs[(chosen + j) % 24]!
      inFails += fails[(chosen + j) % 24]!
    }
    const log10p = hypergeometricUpperLog10(total, failures, inRuns, inFails)
    if (log10p < best) {
      best = log10p
      m.hourFrom = chosen
      m.hourWidth = width
      m.hourFailures = inFails
      m.hourRuns = inRuns
    }
  }
  m.hourLog10P = Number.isNaN(m.hourFrom) ? 0 : Math.min(0, best + Math.log10(24 * HOUR_WIDTHS.length))
}

/** FNV-1a hashes of a message's tokens: words lower-cased; anything holding a digit becomes one "number" token. */
export function tokenise(message: string, out: Int32Array): number {
  let count = 0
  const re = /[A-Za-z0-9_$]+|[^\sA-Za-z0-9_$]/g
  let match: RegExpExecArray | null
  while (count < out.length && (match = re.exec(message)) !== null) {
    const token = /\d/.test(match[0]) ? '#' : match[0].toLowerCase()
    let hash = 0x811c9dc5
    for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193)
    out[count++] = hash | 0
  }
  return count
}

/** Mean normalised edit distance between the newest failure messages' token sequences. */
function measureMessages(kernels: Kernels, h: PackedHistories, k: number, messageBase: number, m: HistoryMeasures): void {
  const picked: string[] = []
  for (let i = h.messageOffsets[k]! - messageBase; i < h.messageOffsets[k + 1]! - messageBase && picked.length < MESSAGES; i++) {
    const message = h.messages[i]
    if (typeof message === 'string' && message.length > 0) picked.push(message)
  }
  for (const message of picked) if (TIMEOUT_MESSAGE.test(message)) m.timeoutMessages++
  m.messages = picked.length
  if (picked.length < 2) return
  const tokens = new Int32Array(MESSAGE_TOKENS)
  const pointers: number[] = []
  const lengths: number[] = []
  for (const message of picked) {
    const length = tokenise(message, tokens)
    const ptr = kernels.reserve(Math.max(1, length) * 4)
    kernels.i32(ptr, length).set(tokens.subarray(0, length))
    pointers.push(ptr)
    lengths.push(length)
  }
  const scratch = kernels.reserve((MESSAGE_TOKENS + 1) * 8)
  let sum = 0
  let pairs = 0
  for (let a = 0; a < picked.length; a++) {
    for (let b = a + 1; b < picked.length; b++) {
      const longest = Math.max(lengths[a]!, lengths[b]!)
      const d = longest === 0 ? 0 : kernels.exports.editDistance(pointers[a]!, lengths[a]!, pointers[b]!, lengths[b]!, scratch) / longest
      sum += d
      pairs++
    }
  }
  m.messageDiversity = sum / pairs
}

/** Instability of the durations (attractor class, exponent) and closeness to the timeout. */
function measureDurations(kernels: Kernels, h: PackedHistories, from: number, n: number, m: HistoryMeasures): void {
  let nearWeight = 0
  let timedWeight = 0
  for (let i = 0; i < n; i++) {
    const timeout = h.timeouts[from + i]!
    if (!(timeout > 0)) continue
    const ratio = h.durations[from + i]! / timeout
    const w = weight(n - 1 - i, OUTCOME_HALF_LIFE)
    m.timedRuns++
    timedWeight += w
    if (ratio >= NEAR_TIMEOUT) {
      m.nearTimeoutRuns++
      nearWeight += w
    }
    if (ratio > m.maxTimeoutRatio) m.maxTimeoutRatio = ratio
  }
  m.nearTimeoutShare = timedWeight > 0 ? nearWeight / timedWeight : 0
  const count = Math.min(n, DURATION_TAIL)
  if (count < 16) return
  const ptr = kernels.reserve(count * 8)
  kernels.f64(ptr, count).set(h.durations.subarray(from + n - count, from + n))
  const { mean, variance } = _momentsAt(kernels, ptr, count)
  m.durationCv = mean > 0 ? Math.sqrt(variance) / mean : 0
  const report = _classifyAt(kernels, ptr, count, {})
  m.durationKind = ATTRACTOR_KINDS.indexOf(report.kind)
  m.exponent = report.exponent
  m.determinism = report.determinism
}

/**
 * Order dependence: files that ran before the test in every failing run, scored by how much
 * more often they ran before it in failing runs than in passing ones (Fisher's exact test).
 * Runs whose order is unknown are left out.
 */
function measureOrder(h: PackedHistories, k: number, from: number, n: number, m: HistoryMeasures, scratch: HistoryScratch): void {
  const gen = ++scratch.generation
  const { stamp, count } = scratch
  const known = (i: number): boolean => h.orderKnown[from + i] === 1
  let runs = 0
  let failures = 0
  let lastFailing = -1
  for (let i = 0; i < n; i++) {
    if (!known(i)) continue
    runs++
    if (!h.failed[from + i]) continue
    failures++
    lastFailing = i
    for (let p = h.beforeOffsets[from + i]!; p < h.beforeOffsets[from + i + 1]!; p++) {
      const file = h.before[p]!
      if (stamp[file] !== gen) {
        stamp[file] = gen
        count[file] = 0
      }
      count[file]!++
    }
  }
  if (failures < ORDER_MIN_FAILURES) return
  const candidates: number[] = []
  for (let p = h.beforeOffsets[from + lastFailing]!; p < h.beforeOffsets[from + lastFailing + 1]!; p++) {
    const file = h.before[p]!
    if (count[file] === failures) {
      count[file] = -(candidates.length + 1)
      candidates.push(file)
    }
  }
  if (candidates.length === 0) return
  const withPassed = new Int32Array(candidates.length)
  for (let i = 0; i < n; i++) {
    if (h.failed[from + i] || !known(i)) continue
    for (let p = h.beforeOffsets[from + i]!; p < h.beforeOffsets[from + i + 1]!; p++) {
      const file = h.before[p]!
      if (stamp[file] === gen && count[file]! < 0) withPassed[-count[file]! - 1]!++
    }
  }
  const passes = runs - failures
  let best = 0
  for (let c = 0; c < candidates.length; c++) {
    const withP = withPassed[c]!
    if (passes - withP < 2) continue
    const log10p = hypergeometricUpperLog10(runs, failures + withP, failures, failures)
    if (log10p < best || (log10p === best && m.orderFile >= 0 && candidates[c]! < m.orderFile)) {
      best = log10p
      m.orderFile = candidates[c]!
      m.orderWith = failures + withP
      m.orderWithFailed = failures
      m.orderWithout = passes - withP
      m.orderWithoutFailed = 0
    }
  }
  // Every file that could have been a candidate was a hypothesis, not only those that survived.
  const tested = Math.max(candidates.length, h.orderFiles[k] ?? 0)
  m.orderLog10P = m.orderFile < 0 ? 0 : Math.min(0, best + Math.log10(tested))
}

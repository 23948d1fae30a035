// The shapes shared by the history measures and their workers: packed test histories, what is
// measured in them, and the constants that decide how.
import type { AttractorKind } from './attractor.js'
import { inputError } from './errors.js'

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

/** What the history measures found in one history. NaN means "not measurable here". */
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

/** 2^(-age / half-life): the recency weight of a run `age` runs old (tabled once per half-life). @internal */
const WEIGHTS = new Map<number, Float64Array>()
export function weight(age: number, halfLife: number): number {
  let table = WEIGHTS.get(halfLife)
  if (!table) WEIGHTS.set(halfLife, (table = Float64Array.from({ length: 4096 }, (_, a) => Math.pow(2, -a / halfLife))))
  return age < table.length ? table[age]! : Math.pow(2, -age / halfLife)
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


// The meta-learner: one online logistic model per project over the signals, learning from what
// later runs showed. Three levels, as the design names them: scores (the model's probability
// for each test), weights (learned from resolved examples), and the learning of the weights
// (per-weight step sizes by IDBD, thresholds from how well past calls held up).
import { ErrorCodes, FlakelineError } from '../errors.js'
import type { CalibrationBin, ModelState, SignalName } from './types.js'

/** Every signal, in the order feature vectors hold them. */
export const SIGNALS: readonly SignalName[] = [
  'passedOnRetry',
  'mixedOnSameCode',
  'flipRate',
  'entropy',
  'stepChange',
  'period',
  'timeOfDay',
  'failureProbability',
  'messageDiversity',
  'durationInstability',
  'nearTimeout',
  'orderDependence',
  'cluster',
  'unchangedFailure',
]

/** Where each signal sits in a feature vector. */
export const SIGNAL_INDEX: ReadonlyMap<SignalName, number> = new Map(SIGNALS.map((signal, i) => [signal, i]))

/**
 * The priors a new project starts from: log-odds per unit of feature (features lie in [-1, 1]),
 * that a failure of a test with these readings turns out flaky. Definitive evidence is worth the
 * most (a retry pass or a same-code pass is flakiness by definition); a step change pulls the
 * other way (a regression is one block of failures that starts with a change); the temporal and
 * contextual signals sit between, at what the literature reports of their predictive power
 * (flip rate and changes: Kowalczyk et al. 2020 and the BMW study; order dependence: Lam et al.
 * 2019; shared causes: Parry et al. 2025), durations lowest (noisy on shared CI machines).
 */
export const PRIOR_WEIGHTS: Readonly<Record<SignalName, number>> = {
  passedOnRetry: 5,
  mixedOnSameCode: 5,
  flipRate: 2,
  entropy: 1,
  stepChange: -2.5,
  period: 2,
  timeOfDay: 2,
  failureProbability: 1,
  messageDiversity: 1,
  durationInstability: 0.5,
  nearTimeout: 1.5,
  orderDependence: 2.5,
  cluster: 2,
  unchangedFailure: 2.5,
}

/** Log-odds that a failure with no other reading is flaky. */
export const PRIOR_BIAS = -1

/** Learning constants, each with the reason for its value. */
export const LEARNING = {
  /** Initial step size of every weight: one example moves a weight by at most 0.02. */
  initialStep: 0.02,
  /** IDBD's meta step (θ, Sutton 1992): how fast the step sizes themselves adapt. */
  metaStep: 0.02,
  /** Step sizes stay in [0.001, 0.2]: never frozen, never jumping. */
  minLogStep: Math.log(0.001),
  maxLogStep: Math.log(0.2),
  /** Pull of each weight towards its prior per example where its signal fired (L2 towards the prior): a project's few examples refine the priors rather than replace them. */
  priorPull: 0.01,
  /** Calibration bins forget with this factor per example, so they follow a project that changes. */
  binDecay: 0.998,
  /** Examples of pseudo-count the raw probability keeps against its bin's observed rate. */
  binPrior: 20,
  /** Weight of one analysis' Brier score in the running mean. */
  brierDecay: 0.1,
  /** Points of Brier history kept. */
  brierHistory: 100,
  /** Precision the learned flaky threshold aims for, among the examples above it. */
  targetPrecision: 0.9,
  /** Examples above a candidate threshold needed before it is trusted. */
  thresholdEvidence: 30,
} as const

/** The thresholds a new project starts from. */
export const PRIOR_THRESHOLDS = { flaky: 0.5, failingStreak: 2 } as const

const BIAS = 'bias'

/** The state of a project that has seen nothing yet: the documented priors. */
export function initialModel(): ModelState {
  const logSteps: Record<string, number> = {}
  const traces: Record<string, number> = {}
  for (const key of [...SIGNALS, BIAS]) {
    logSteps[key] = Math.log(LEARNING.initialStep)
    traces[key] = 0
  }
  return {
    version: 1,
    weights: { ...PRIOR_WEIGHTS },
    bias: PRIOR_BIAS,
    logSteps,
    traces,
    thresholds: { ...PRIOR_THRESHOLDS },
    brier: { mean: 0, history: [] },
    calibration: Array.from({ length: 10 }, () => ({ predicted: 0, observed: 0, count: 0 })),
    streaks: { repeated: 0, flaky: 0 },
    examples: 0,
    runs: 0,
    lastSeq: -1,
  }
}

/**
 * A deep copy of `model` that is safe to update: checked, with weights of signals it does not
 * know yet (written by an older flakeline) started from their priors. Throws
 * FLAKELINE_E_ANALYSIS_INPUT for anything that is not a version-1 state.
 */
export function loadModel(model: unknown): ModelState {
  const bad = (what: string): FlakelineError => new FlakelineError(ErrorCodes.ANALYSIS_INPUT, `model ${what}; pass a state from analyseTests or initialModel()`)
  if (typeof model !== 'object' || model === null) throw bad('must be an object')
  const m = model as Partial<ModelState>
  if (m.version !== 1) throw bad(`has version ${String(m.version)}, not 1`)
  const fresh = initialModel()
  const number = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback)
  const record = (value: unknown, fallback: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {}
    const source = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
    for (const key of Object.keys(fallback)) out[key] = number(source[key], fallback[key]!)
    return out
  }
  const bins = Array.isArray(m.calibration) && m.calibration.length === 10 ? m.calibration : fresh.calibration
  return {
    version: 1,
    weights: record(m.weights, fresh.weights),
    bias: number(m.bias, fresh.bias),
    logSteps: record(m.logSteps, fresh.logSteps),
    traces: record(m.traces, fresh.traces),
    thresholds: {
      flaky: number(m.thresholds?.flaky, PRIOR_THRESHOLDS.flaky),
      failingStreak: number(m.thresholds?.failingStreak, PRIOR_THRESHOLDS.failingStreak),
    },
    brier: {
      mean: number(m.brier?.mean, 0),
      history: Array.isArray(m.brier?.history) ? m.brier.history.filter((p) => typeof p === 'object' && p !== null).map((p) => ({ seq: number(p.seq, 0), brier: number(p.brier, 0), examples: number(p.examples, 0) })) : [],
    },
    calibration: bins.map((bin: Partial<CalibrationBin>) => ({ predicted: number(bin?.predicted, 0), observed: number(bin?.observed, 0), count: number(bin?.count, 0) })),
    streaks: { repeated: number(m.streaks?.repeated, 0), flaky: number(m.streaks?.flaky, 0) },
    examples: number(m.examples, 0),
    runs: number(m.runs, 0),
    lastSeq: number(m.lastSeq, -1),
  }
}

/** The model's weights as a vector in SIGNALS order; disabled signals weigh 0. */
export function weightVector(model: ModelState, disabled: ReadonlySet<SignalName> = new Set()): Float64Array {
  return Float64Array.from(SIGNALS, (signal) => (disabled.has(signal) ? 0 : model.weights[signal] ?? PRIOR_WEIGHTS[signal]))
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))
}

/** Log-odds of flaky for a feature vector. */
export function logOdds(model: ModelState, weights: Float64Array, x: ArrayLike<number>): number {
  let z = model.bias
  for (let i = 0; i < weights.length; i++) z += weights[i]! * x[i]!
  return z
}

/** The model's raw probability for a feature vector. */
export function rawProbability(model: ModelState, weights: Float64Array, x: ArrayLike<number>): number {
  return sigmoid(logOdds(model, weights, x))
}

function binOf(p: number): number {
  return Math.min(9, Math.max(0, Math.floor(p * 10)))
}

/**
 * The calibrated probability: the raw one moved towards the observed rate of its decile as the
 * decile gathers examples (a pseudo-count of {@link LEARNING.binPrior} keeps the raw value).
 */
export function calibrated(model: ModelState, raw: number): number {
  const bin = model.calibration[binOf(raw)]!
  return (bin.observed + LEARNING.binPrior * raw) / (bin.count + LEARNING.binPrior)
}

/** A resolved example: the features a test had when it failed, and whether that failure turned out flaky. */
export interface Example {
  x: Float64Array
  /** 1: definitive flaky evidence followed; 0: the failure held up (failed again on a re-run of the same commit). */
  y: 0 | 1
  /** Consecutive failures ending with this one. */
  streak: number
  /** How likely that streak is for a flaky test with the history before it (see verdict-rules.ts). */
  streakLikelihood: number
}

/**
 * Learns from examples resolved by this analysis, in the given order (deterministic): each is
 * first predicted (for the Brier score and calibration: prequential, predict then learn), then
 * taken by one IDBD step on the logistic loss. Then the thresholds are re-derived. Mutates and
 * returns `model`.
 */
export function learn(model: ModelState, examples: readonly Example[], seq: number, disabled: ReadonlySet<SignalName> = new Set()): ModelState {
  let squared = 0
  const keys = [...SIGNALS, BIAS]
  for (const example of examples) {
    const weights = weightVector(model, disabled)
    const raw = rawProbability(model, weights, example.x)
    const p = calibrated(model, raw)
    squared += (p - example.y) ** 2
    for (const bin of model.calibration) {
      bin.predicted *= LEARNING.binDecay
      bin.observed *= LEARNING.binDecay
      bin.count *= LEARNING.binDecay
    }
    const bin = model.calibration[binOf(raw)]!
    bin.predicted += raw
    bin.observed += example.y
    bin.count += 1
    // IDBD (Sutton 1992) on the logistic loss: each weight's log step size β grows while its
    // successive updates agree (δ·x·h > 0) and shrinks while they cancel; h traces the recent
    // updates, decayed by the curvature p(1 - p)·x².
    const delta = example.y - raw
    const curvature = raw * (1 - raw)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const signal = SIGNALS[i]
      if (signal !== undefined && disabled.has(signal)) continue
      const x = signal === undefined ? 1 : example.x[i]!
      if (x === 0) continue
      const beta = Math.min(LEARNING.maxLogStep, Math.max(LEARNING.minLogStep, model.logSteps[key]! + LEARNING.metaStep * delta * x * model.traces[key]!))
      const alpha = Math.exp(beta)
      model.logSteps[key] = beta
      if (signal === undefined) model.bias += alpha * delta
      else model.weights[signal] = model.weights[signal]! + alpha * delta * x + LEARNING.priorPull * (PRIOR_WEIGHTS[signal] - model.weights[signal]!)
      model.traces[key] = model.traces[key]! * Math.max(0, 1 - alpha * curvature * x * x) + alpha * delta * x
    }
    // Would the rules have called the test failing at this second failure in a row? Then the
    // label says whether that call held up.
    if (example.streak === 2) {
      const odds = (p / Math.max(1e-12, 1 - p)) * example.streakLikelihood
      if (odds / (1 + odds) < model.thresholds.flaky) {
        model.streaks.repeated = model.streaks.repeated * LEARNING.binDecay + 1
        model.streaks.flaky = model.streaks.flaky * LEARNING.binDecay + example.y
      }
    }
  }
  model.examples += examples.length
  model.runs += 1
  if (examples.length > 0) {
    const brier = squared / examples.length
    const first = model.brier.history.length === 0
    model.brier.mean = first ? brier : (1 - LEARNING.brierDecay) * model.brier.mean + LEARNING.brierDecay * brier
    model.brier.history.push({ seq, brier, examples: examples.length })
    if (model.brier.history.length > LEARNING.brierHistory) model.brier.history.splice(0, model.brier.history.length - LEARNING.brierHistory)
  }
  model.thresholds = learnedThresholds(model)
  model.lastSeq = Math.max(model.lastSeq, seq)
  return model
}

/**
 * Thresholds from how past calls held up. The flaky threshold comes down from the prior to the
 * lowest decile edge (at least 0.4) above which the examples turned out flaky at least
 * {@link LEARNING.targetPrecision} of the time. It does not rise above the prior when they fell
 * short: the labels undercount flakiness (a test failing half the time fails its re-run half the
 * time too), and the calibrated probability has already taken the shortfall in. The failing streak grows when tests
 * the rules would have called failing after two failures in a row later turned out flaky more
 * than 10% of the time (3 runs), or more than 30% (4 runs).
 */
function learnedThresholds(model: ModelState): ModelState['thresholds'] {
  let flaky: number = PRIOR_THRESHOLDS.flaky
  for (let edge = 8; edge >= 4; edge--) {
    let observed = 0
    let count = 0
    for (let b = edge; b < 10; b++) {
      observed += model.calibration[b]!.observed
      count += model.calibration[b]!.count
    }
    if (count < LEARNING.thresholdEvidence) continue
    if (observed / count < LEARNING.targetPrecision) break
    flaky = Math.min(flaky, edge / 10)
  }
  const { repeated, flaky: flakyRepeats } = model.streaks
  const share = repeated >= 10 ? flakyRepeats / repeated : 0
  const failingStreak = share > 0.3 ? 4 : share > 0.1 ? 3 : 2
  return { flaky, failingStreak }
}

/** What `flakeline model --json` prints. */
export interface ModelDescription {
  signals: Array<{ signal: SignalName; weight: number; prior: number; stepSize: number }>
  bias: number
  /** Running mean of the per-analysis Brier scores of resolved examples (0 before the first). */
  brier: number
  brierHistory: ModelState['brier']['history']
  runs: number
  examples: number
  thresholds: ModelState['thresholds']
  calibration: Array<{ decile: number; predicted: number; observed: number; count: number }>
}

/**
 * The model in words and numbers: each signal's weight (with its prior and current step size),
 * the Brier score, and the calibration table by decile (mean prediction vs observed rate).
 */
export function describeModel(model: ModelState): ModelDescription {
  const m = loadModel(model)
  return {
    signals: SIGNALS.map((signal) => ({ signal, weight: m.weights[signal]!, prior: PRIOR_WEIGHTS[signal], stepSize: Math.exp(m.logSteps[signal]!) })),
    bias: m.bias,
    brier: m.brier.mean,
    brierHistory: m.brier.history,
    runs: m.runs,
    examples: m.examples,
    thresholds: m.thresholds,
    calibration: m.calibration.map((bin, decile) => ({
      decile: decile + 1,
      predicted: bin.count > 0 ? bin.predicted / bin.count : 0,
      observed: bin.count > 0 ? bin.observed / bin.count : 0,
      count: bin.count,
    })),
  }
}

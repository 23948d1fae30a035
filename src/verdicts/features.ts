// From what the kernels measured to what the model weighs: each signal as one feature in [-1, 1]
// (0 = no reading), and the same reading in words. The README's "Flaky verdicts" section gives
// the reasoning behind each signal; the comments here say why each scale was chosen.
import { ATTRACTOR_KINDS, NEAR_TIMEOUT, STEP_WINDOW, type HistoryMeasures } from '../analysis/history-signals.js'
import { SIGNALS, SIGNAL_INDEX } from './meta-learner.js'
import type { Evidence, SignalName } from './types.js'

/** Names for the ids the packing gave code states and files. */
export interface Names {
  code(id: number): string
  file(id: number): string
}

/** What the cluster step found for one test. */
export interface ClusterReading {
  id: string
  size: number
  similarity: number
  /** Other members with definitive flaky evidence. */
  definitive: number
}

function clamp(x: number, low = 0, high = 1): number {
  return Math.min(high, Math.max(low, x))
}

/** Definitive evidence as a feature: one recent occurrence reads 0.86, two or more ≈ 1. */
function definitive(weighted: number): number {
  return 1 - Math.exp(-2 * weighted)
}

/** The feature vector (SIGNALS order) of one history; `cluster` comes from the cluster step. */
export function featuresOf(m: HistoryMeasures, cluster: ClusterReading | undefined, out = new Float64Array(SIGNALS.length)): Float64Array {
  const set = (signal: SignalName, value: number): void => {
    out[SIGNAL_INDEX.get(signal)!] = Number.isFinite(value) ? value : 0
  }
  set('passedOnRetry', definitive(m.passedOnRetryWeighted))
  set('mixedOnSameCode', definitive(m.mixedWeighted))
  // A fair coin flips half the time: a flip rate of 0.5 is as flaky as outcomes get.
  set('flipRate', clamp(m.flipRate / 0.5))
  set('entropy', m.entropy)
  // Only a block of at least two failures can be a step; a lone failure is anyone's.
  set('stepChange', m.stepFailures >= 2 && Number.isFinite(m.stepNovelty) ? m.stepNovelty * m.stepContiguity : 0)
  // Autocorrelation 0.3 is the least we call a period (noise gives ±1/√n), 0.7 a clear one.
  set('period', Number.isFinite(m.period) ? clamp((m.periodStrength - 0.3) / 0.4) : 0)
  // p = 0.1 after the Bonferroni correction reads 0, p = 0.0001 reads 1.
  set('timeOfDay', clamp((-m.hourLog10P - 1) / 3))
  set('failureProbability', m.failures > 0 ? m.intermittent : 0)
  // Centred: one message repeating (distance ≈ 0) reads -1, messages sharing under half their tokens read 1.
  set('messageDiversity', m.messages >= 2 ? clamp((m.messageDiversity - 0.25) / 0.25, -1, 1) : 0)
  set('durationInstability', durationInstability(m))
  const nearShare = m.nearTimeoutRuns > 0 ? clamp(m.nearTimeoutShare * 4) : 0
  set('nearTimeout', Math.max(nearShare, m.messages > 0 ? m.timeoutMessages / m.messages : 0))
  // Corrected p = 0.01 reads 0, p = 0.0001 reads 1: many tests are tested against many files.
  set('orderDependence', clamp((-m.orderLog10P - 2) / 2))
  set('cluster', cluster && cluster.size > 1 ? (cluster.similarity * cluster.definitive) / (cluster.size - 1) : 0)
  // Centred and shrunk by the number of changes of outcome: every change with no code change
  // reads towards 1, every change that came with one (a regression and its fix) towards -1.
  set('unchangedFailure', m.transitions > 0 ? ((2 * m.unchangedShare - 1) * m.transitions) / (m.transitions + 1) : 0)
  return out
}

function durationInstability(m: HistoryMeasures): number {
  if (m.durationKind < 0 || !Number.isFinite(m.durationCv)) return 0
  const kind = ATTRACTOR_KINDS[m.durationKind]
  // A spread of half the mean is erratic for a test; a cycle is half as suspicious (it may be a
  // scheduled job on the CI machine), a fixed point not at all.
  const spread = clamp(m.durationCv / 0.5)
  return kind === 'fixed-point' ? 0 : kind === 'limit-cycle' ? 0.5 * spread : spread
}

/** A 90% interval of a Beta(a, b): mean ± 1.645 standard deviations, within [0, 1] (for display). */
function betaInterval(a: number, b: number): [number, number] {
  const mean = a / (a + b)
  const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)))
  return [Math.max(0, mean - 1.645 * sd), Math.min(1, mean + 1.645 * sd)]
}

const percent = (x: number): string => `${Math.round(x * 100)}%`
const hour = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`
const p = (log10p: number): string => {
  const value = 10 ** log10p
  return value < 0.0001 ? 'p < 0.0001' : `p = ${value.toPrecision(1)}`
}

/** The reading of one signal in words. */
export function detailOf(signal: SignalName, m: HistoryMeasures, names: Names, cluster: ClusterReading | undefined): string {
  switch (signal) {
    case 'passedOnRetry':
      return `passed on retry in ${m.passedOnRetry} of ${m.runs} runs`
    case 'mixedOnSameCode':
      return `passed and failed on the same clean commit (${m.mixedStates === 1 ? names.code(m.mixedCode).slice(0, 12) : `${m.mixedStates} commits, the newest ${names.code(m.mixedCode).slice(0, 12)}`})`
    case 'flipRate':
      return `outcome changed in ${m.flips} of ${Math.max(0, m.runs - 1)} consecutive runs (recency-weighted rate ${m.flipRate.toFixed(2)})`
    case 'entropy':
      return `outcome entropy ${m.entropy.toFixed(2)} bits (recency-weighted failure share ${percent(m.failureShare)})`
    case 'stepChange':
      if (m.stepFailures < 2) return 'no block of failures'
      return Number.isFinite(m.stepNovelty) && m.stepNovelty * m.stepContiguity >= 0.5
        ? `the newest ${m.stepFailures} failures form a new block: no earlier window of ${STEP_WINDOW} runs looks like it (DTW ${m.stepNovelty.toFixed(2)} per failure)`
        : `the newest failures look like earlier ones (DTW ${Number.isFinite(m.stepNovelty) ? m.stepNovelty.toFixed(2) : 'n/a'} per failure, ${percent(m.stepContiguity)} in one block)`
    case 'period':
      return `fails about every ${Number.isInteger(m.period) ? m.period : m.period.toFixed(1)} runs (autocorrelation ${m.periodStrength.toFixed(2)} at that lag)`
    case 'timeOfDay': {
      const other = m.failures - m.hourFailures
      return `failed in ${m.hourFailures} of ${m.hourRuns} runs between ${hour(m.hourFrom)} and ${hour(m.hourFrom + m.hourWidth)} UTC, ${other} of ${m.runs - m.hourRuns} at other hours (${p(m.hourLog10P)})`
    }
    case 'failureProbability': {
      const mean = m.betaA / (m.betaA + m.betaB)
      const [low, high] = betaInterval(m.betaA, m.betaB)
      return `failure probability ${percent(mean)} (90% interval about ${percent(low)}–${percent(high)}), ${percent(m.intermittent)} likely intermittent`
    }
    case 'messageDiversity':
      return m.messageDiversity < 0.25
        ? `the same failure message in the newest ${m.messages} failures (token edit distance ${m.messageDiversity.toFixed(2)})`
        : `the newest ${m.messages} failure messages differ (mean token edit distance ${m.messageDiversity.toFixed(2)})`
    case 'durationInstability':
      return `durations ${ATTRACTOR_KINDS[m.durationKind] ?? 'unknown'}, spread ${percent(m.durationCv)} of the mean (Lyapunov exponent ${Number.isFinite(m.exponent) ? m.exponent.toFixed(2) : 'n/a'} per run)`
    case 'nearTimeout': {
      const parts: string[] = []
      if (m.nearTimeoutRuns > 0) parts.push(`${m.nearTimeoutRuns} of ${m.timedRuns} runs took at least ${percent(NEAR_TIMEOUT)} of the timeout (up to ${percent(m.maxTimeoutRatio)})`)
      if (m.timeoutMessages > 0) parts.push(`${m.timeoutMessages} of the newest ${m.messages} failures timed out`)
      return parts.join('; ') || 'no run near its timeout'
    }
    case 'orderDependence':
      return `failed in ${m.orderWithFailed} of ${m.orderWith} runs where ${names.file(m.orderFile)} ran before it, ${m.orderWithoutFailed} of ${m.orderWithout} where it did not (${p(m.orderLog10P)})`
    case 'cluster':
      return cluster
        ? `fails in the same runs as ${cluster.size - 1} other test${cluster.size === 2 ? '' : 's'} (cluster ${cluster.id}, similarity ${cluster.similarity.toFixed(2)}), ${cluster.definitive} of them flaky by retries or same-code passes`
        : 'in no cluster'
    case 'unchangedFailure':
      return `${m.unchangedTransitions} of ${m.transitions} changes of outcome came on runs where neither the test nor its linked sources changed`
  }
}

/** Whether a signal has a reading worth showing (its feature is not 0, or it is definitive). */
function fired(signal: SignalName, m: HistoryMeasures, x: number): boolean {
  if (signal === 'passedOnRetry') return m.passedOnRetry > 0
  if (signal === 'mixedOnSameCode') return m.mixedStates > 0
  return x !== 0
}

/**
 * The evidence behind a verdict: every signal that fired, with its contribution to the log-odds
 * of flaky (weight × feature), the strongest first; readings that moved the odds by less than
 * 0.05 are left out unless definitive.
 */
export function evidenceOf(m: HistoryMeasures, x: Float64Array, weights: Float64Array, names: Names, cluster: ClusterReading | undefined): Evidence[] {
  const evidence: Evidence[] = []
  for (let i = 0; i < SIGNALS.length; i++) {
    const signal = SIGNALS[i]!
    if (!fired(signal, m, x[i]!)) continue
    const contribution = weights[i]! * x[i]!
    if (Math.abs(contribution) < 0.05 && signal !== 'passedOnRetry' && signal !== 'mixedOnSameCode') continue
    evidence.push({ signal, value: round(x[i]!), detail: detailOf(signal, m, names, cluster), contribution: round(contribution) })
  }
  return evidence.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || SIGNAL_INDEX.get(a.signal)! - SIGNAL_INDEX.get(b.signal)!)
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

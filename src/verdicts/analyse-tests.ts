// The analysis after a run: the histories of the tests that ran go to the worker pool in one
// call (the kernels measure every signal, and the pairs of tests failing together), the model
// learns from the failures that later runs have now resolved, and every test gets its verdict.
import type { AnalysisPool } from '../analysis/analysis-pool.js'
import type { HistoryMeasures } from '../analysis/history-signals.js'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { passedOnRetry } from '../evidence/outcomes.js'
import { clustersOf, type GridMember } from './clusters.js'
import { evidenceOf, featuresOf, type ClusterReading, type Names } from './features.js'
import { SIGNALS, calibrated, initialModel, learn, loadModel, rawProbability, weightVector, type Example } from './meta-learner.js'
import { HistoryPacker, WINDOW, type PackedCase } from './pack.js'
import type { AnalysisResult, ModelState, SignalName, TestCase, TestObservation, Verdict } from './types.js'
import { MIN_RUNS, decide, streakLikelihood } from './verdict-rules.js'

export { describeModel, initialModel } from './meta-learner.js'

/** Options of {@link analyseTests}. */
export interface AnalyseTestsOptions {
  /** The worker pool that runs the kernels; the caller owns it (and closes it). */
  pool: AnalysisPool
  /** Aborts the analysis: the promise rejects with the signal's reason (or FLAKELINE_E_ANALYSIS_CLOSED). */
  signal?: AbortSignal
  /** Signals to leave out (their features read 0 and they learn nothing): for ablations and experiments. */
  disable?: readonly SignalName[]
}

/**
 * Runs after a failure that resolve it as an example for the model: within them, definitive
 * flaky evidence (a retry pass, a pass on the same commit) makes it flaky; a repeat of the
 * failure on a re-run of the same commit makes it real.
 */
export const LABEL_HORIZON = 10

/** Failures deeper than this in a streak teach nothing the first ones did not. */
const EXAMPLE_STREAK = 3
/**
 * Bounds on learning per analysis: a model meeting a long history (its first analysis, or one
 * after skipped analyses) learns from failures at most this many runs before the horizon, and
 * from at most {@link MAX_EXAMPLES} of them, so the analysis stays as cheap as after one run.
 */
const LEARN_BACK = 30
const MAX_EXAMPLES = 500

/** A stable pseudo-random rank of a test's failure (FNV-1a of its key and seq). */
function exampleRank(test: TestCase, seq: number): number {
  const key = `${test.fileId}\0${test.name}\0${seq}`
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

function aborted(signal: AbortSignal | undefined): FlakelineError | undefined {
  if (!signal?.aborted) return undefined
  return signal.reason instanceof FlakelineError ? signal.reason : new FlakelineError(ErrorCodes.ANALYSIS_CLOSED, 'the analysis was aborted')
}

/**
 * How the failure at `j` turned out within {@link LABEL_HORIZON} runs: 1 flaky, 0 real, null when
 * nothing in those runs could tell (no retry pass, no re-run of its commit).
 */
export function labelOf(observations: readonly TestObservation[], j: number): 0 | 1 | null {
  const end = Math.min(observations.length, j + LABEL_HORIZON + 1)
  const passedCodes = new Set<string>()
  const seenCodes = new Map<string, number>()
  for (let i = 0; i < end; i++) {
    const o = observations[i]!
    if (!o.codeState) continue
    if (o.status === 'passed') passedCodes.add(o.codeState)
    seenCodes.set(o.codeState, (seenCodes.get(o.codeState) ?? 0) + 1)
  }
  let chance = false
  for (let i = j; i < end; i++) {
    const o = observations[i]!
    if (passedOnRetry(o)) return 1
    if (o.status !== 'failed') continue
    if (o.codeState && passedCodes.has(o.codeState)) return 1
    // Retries that failed too do not count against flakiness: what made the test fail (the time,
    // the order, a service) often lasts the few seconds a retry takes. A re-run of the commit does.
    if (o.codeState && seenCodes.get(o.codeState)! > 1) chance = true
  }
  return chance ? 0 : null
}

interface PendingExample {
  slice: number
  index: number
  y: 0 | 1
}

/**
 * Analyses the tests that ran (each with its history, oldest first) and returns a verdict per
 * test (in input order), the clusters of tests failing together, and the updated model.
 *
 * - One pool call: every history with a failure or a retry, and the examples to learn from,
 *   are measured together in the worker pool on the WebAssembly kernels; histories of tests that
 *   only ever passed need no measuring.
 * - Learning: a failure {@link LABEL_HORIZON} runs back that those runs resolved (see
 *   {@link labelOf}) becomes an example, with the features its history had when it failed. Only
 *   runs newer than the model's `lastSeq` teach, so analysing the same run twice learns once.
 * - Deterministic: the same cases and model give the same result, whatever the pool's threads.
 *
 * Rejects with FLAKELINE_E_ANALYSIS_INPUT for malformed cases or model, the pool's codes for
 * worker failures, and the abort reason when `signal` aborts.
 *
 * @example
 * const { verdicts, clusters, model } = await analyseTests(cases, stored ?? null, { pool })
 */
export async function analyseTests(cases: readonly TestCase[], model: ModelState | null, options: AnalyseTestsOptions): Promise<AnalysisResult> {
  if (!Array.isArray(cases)) throw new FlakelineError(ErrorCodes.ANALYSIS_INPUT, 'cases must be an array of { fileId, name, observations }')
  if (typeof options !== 'object' || options === null || typeof options.pool?.measureHistories !== 'function') {
    throw new FlakelineError(ErrorCodes.ANALYSIS_INPUT, 'options.pool must be an AnalysisPool')
  }
  const stop = aborted(options.signal)
  if (stop) throw stop
  const state = model === null || model === undefined ? initialModel() : loadModel(model)
  const disabled = new Set<SignalName>(options.disable ?? [])
  for (const signal of disabled) {
    if (!SIGNALS.includes(signal)) throw new FlakelineError(ErrorCodes.ANALYSIS_INPUT, `options.disable names an unknown signal: ${String(signal)}`)
  }

  // One pass over the cases: each eventful window is packed as a history; then the examples'
  // histories, prefixes of those windows.
  const packer = new HistoryPacker(HistoryPacker.capacityFor(cases))
  const packedCases: Array<PackedCase | null> = cases.map((test, index) => packer.addCase(test, index))
  const historyOf = new Int32Array(cases.length).fill(-1)
  packedCases.forEach((packed, index) => {
    if (packed) historyOf[index] = packer.addHistory(cases[index]!, packed, cases[index]!.observations.length)
  })
  const current = historyOf.reduce((count, k) => count + (k >= 0 ? 1 : 0), 0)
  const resolved: Array<{ index: number; j: number; y: 0 | 1; rank: number }> = []
  cases.forEach((test, index) => {
    const packed = packedCases[index]
    if (!packed) return
    const observations = test.observations
    const oldest = Math.max(packed.first, observations.length - 1 - LABEL_HORIZON - LEARN_BACK)
    for (let j = observations.length - 1 - LABEL_HORIZON; j >= oldest; j--) {
      if (observations[j + LABEL_HORIZON]!.seq <= state.lastSeq) break
      if (observations[j]!.status !== 'failed') continue
      let depth = 1
      while (depth <= EXAMPLE_STREAK && j - depth >= 0 && observations[j - depth]!.status === 'failed') depth++
      if (depth > EXAMPLE_STREAK) continue
      const y = labelOf(observations, j)
      if (y !== null) resolved.push({ index, j, y, rank: exampleRank(test, observations[j]!.seq) })
    }
  })
  // Beyond the bound, a fixed pseudo-random choice spread over the whole suite (not its first files).
  if (resolved.length > MAX_EXAMPLES) resolved.sort((a, b) => a.rank - b.rank || a.index - b.index || a.j - b.j).splice(MAX_EXAMPLES)
  resolved.sort((a, b) => a.index - b.index || b.j - a.j)
  const pending: PendingExample[] = resolved.map(({ index, j, y }) => ({ slice: packer.addHistory(cases[index]!, packedCases[index]!, j + 1), index, y }))
  const newest = packer.newest

  const packed = packer.finish()
  const { grid, members, seqs } = packer.failureGrid(current)
  const measured = options.pool.measureHistories(packed.histories, { clusters: grid })
  const { measures, edges } = await raceAbort(measured, options.signal)

  const names: Names = { code: (id) => packed.codes[id] ?? '?', file: (id) => packed.files[id] ?? '?' }
  const caseOf = new Int32Array(current)
  historyOf.forEach((k, index) => {
    if (k >= 0) caseOf[k] = index
  })
  const gridMembers: GridMember[] = members.map((k) => {
    const test = cases[caseOf[k]!]!
    const m = measures[k]!
    return { fileId: test.fileId, test: test.name, definitive: m.passedOnRetry > 0 || m.mixedStates > 0 }
  })
  const { clusters, readings } = clustersOf(grid, seqs, gridMembers, edges)
  const clusterBySlice = new Map<number, ClusterReading>()
  members.forEach((k, g) => {
    const reading = readings.get(g)
    if (reading) clusterBySlice.set(k, reading)
  })
  const masked = (x: Float64Array): Float64Array => {
    for (const signal of disabled) x[SIGNALS.indexOf(signal)] = 0
    return x
  }

  // Learn first (the examples are older than every verdict made now), in a fixed order.
  const examples: Example[] = pending.map((p) => {
    const ownCluster = clusterBySlice.get(historyOf[p.index]!)
    const m = measures[p.slice]!
    return { x: masked(featuresOf(m, ownCluster)), y: p.y, streak: m.streak, streakLikelihood: streakLikelihood(m.streak, m.preStreakA, m.preStreakB) }
  })
  if (Number.isFinite(newest)) learn(state, examples, newest, disabled)

  const weights = weightVector(state, disabled)
  const verdicts: Verdict[] = cases.map((test, index) => {
    const k = historyOf[index]!
    if (k < 0) return quietVerdict(test, state)
    return verdictOf(test, packedCases[index]!.first, measures[k]!, clusterBySlice.get(k), state, weights, masked, names)
  })
  return { verdicts, clusters, model: state }
}

async function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work
  let onAbort: (() => void) | undefined
  const abort = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted(signal))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, abort])
  } finally {
    signal.removeEventListener('abort', onAbort!)
    work.catch(() => undefined)
  }
}

/** A test with no failure and no retry in its window: stable, or new. */
function quietVerdict(test: TestCase, model: ModelState): Verdict {
  const n = test.observations.length
  const recent = Math.max(0, n - WINDOW)
  const isNew = n < MIN_RUNS
  return {
    fileId: test.fileId,
    test: test.name,
    verdict: isNew ? 'new' : 'stable',
    confidence: 1,
    evidence: [],
    since: test.observations[recent]?.seq ?? model.lastSeq,
    expectedAttempts: 1,
    flakyProbability: 0,
    reason: isNew ? `${n} run${n === 1 ? '' : 's'} so far; a verdict needs ${MIN_RUNS}` : `passed all ${n - recent} runs`,
  }
}

function verdictOf(
  test: TestCase,
  first: number,
  m: HistoryMeasures,
  cluster: ClusterReading | undefined,
  model: ModelState,
  weights: Float64Array,
  masked: (x: Float64Array) => Float64Array,
  names: Names,
): Verdict {
  const x = masked(featuresOf(m, cluster))
  const pf = calibrated(model, rawProbability(model, weights, x))
  const decision = decide(m, pf, model.thresholds)
  return {
    fileId: test.fileId,
    test: test.name,
    verdict: decision.verdict,
    confidence: round(decision.confidence),
    evidence: evidenceOf(m, x, weights, names, cluster),
    since: test.observations[first + decision.sinceIndex]?.seq ?? test.observations[test.observations.length - 1]!.seq,
    expectedAttempts: round(m.expectedAttempts),
    flakyProbability: round(decision.flakyProbability),
    reason: decision.reason,
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000
}

import type { FileStatus } from '../records.js'
import { suiteModel } from '../scheduling/failure-model.js'
import { NO_EVIDENCE } from '../scheduling/file-evidence.js'
import { planFiles, plainPlanFile, policyContext, type PlanSettings } from '../scheduling/plan-files.js'
import type { PolicyName } from '../scheduling/plan-types.js'
import { likelyToFail } from '../scheduling/policies/auto.js'
import { seededRandom } from '../scheduling/policies/shuffle.js'
import { InMemoryHistory } from './in-memory-history.js'
import { orderMetrics, parallelOrderMetrics, type OrderMetrics, type Outcome } from './order-metrics.js'

/** One past run to replay: its files with how they ended. */
export interface ReplayRun {
  id: string
  files: ReadonlyArray<{ fileId: string; status: FileStatus; durationMs: number }>
}

export interface ReplayOptions {
  /** Policies to measure; the first one's orders are kept when `keepOrders` is set. */
  policies: readonly PolicyName[]
  /** Workers the plans assume (`auto` packs its tail for them). */
  workers: number
  /** Seed of `shuffle` and of the random baseline. */
  seed: number
  /** Also measure a seeded random order (averaged over `randomRepeats` shuffles) and the oracle. */
  baselines: boolean
  randomRepeats?: number
  /** Keep every run's order of the first policy (for `replay --json`). */
  keepOrders?: boolean
  historyLimit?: number
}

/** Averages over the runs that had at least one failure. */
export interface ContenderSummary {
  name: string
  apfd: number
  apfdc: number
  napfd: number
  timeToFirstFailureMs: number
}

export interface ReplaySummary {
  runs: number
  /** Runs with at least one failing file: only these say anything about order. */
  runsWithFailures: number
  contenders: ContenderSummary[]
  orders: Array<{ run: string; order: string[] }>
}

type Sums = { apfd: number; apfdc: number; napfd: number; ttff: number }

function add(sums: Sums, metrics: OrderMetrics, weight = 1): void {
  sums.apfd += (metrics.apfd ?? 0) * weight
  sums.apfdc += (metrics.apfdc ?? 0) * weight
  sums.napfd += (metrics.napfd ?? 0) * weight
  sums.ttff += (metrics.timeToFirstFailureMs ?? 0) * weight
}

/**
 * Replays a history run by run: for each run, every policy orders that run's files (the ones that
 * ran) from the evidence of the runs before it, the orders are scored against what happened, and
 * then the run is learned. The evidence model is the store's own (`InMemoryHistory`), so what
 * replay measures is what the sequencer would have done.
 */
export async function replayHistory(runs: Iterable<ReplayRun> | AsyncIterable<ReplayRun>, options: ReplayOptions): Promise<ReplaySummary> {
  const history = new InMemoryHistory(options.historyLimit)
  const names = [...options.policies, ...(options.baselines ? ['random', 'oracle'] : [])]
  const sums = new Map<string, Sums>(names.map((name) => [name, { apfd: 0, apfdc: 0, napfd: 0, ttff: 0 }]))
  const repeats = options.randomRepeats ?? 10
  const orders: ReplaySummary['orders'] = []
  let count = 0
  let withFailures = 0
  for await (const run of runs) {
    count++
    const ran = run.files.filter((file) => file.status === 'passed' || file.status === 'failed')
    const outcomeOf = new Map(ran.map((file) => [file.fileId, { failed: file.status === 'failed', durationMs: file.durationMs }]))
    const failing = ran.some((file) => file.status === 'failed')
    if (failing) withFailures++
    if (failing || options.keepOrders) {
      const suite = suiteModel(history.evidence.values())
      const files = ran.map((file) => plainPlanFile(file.fileId, history.evidence.get(file.fileId) ?? NO_EVIDENCE))
      options.policies.forEach((policy, i) => {
        const order = planFiles(files, { policy, workers: options.workers, seed: options.seed, suite }).order.map((planned) => planned.fileId)
        if (i === 0 && options.keepOrders) orders.push({ run: run.id, order })
        if (failing) add(sums.get(policy)!, orderMetrics(order.map((id) => outcomeOf.get(id)!)))
      })
      if (failing && options.baselines) {
        const random = seededRandom(options.seed ^ (count * 0x9e3779b1))
        for (let r = 0; r < repeats; r++) {
          const shuffled: Outcome[] = ran.map((file) => outcomeOf.get(file.fileId)!)
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1))
            ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
          }
          add(sums.get('random')!, orderMetrics(shuffled), 1 / repeats)
        }
        // The oracle knows the outcome: failing files first, shortest first.
        const oracle = ran
          .map((file) => outcomeOf.get(file.fileId)!)
          .sort((a, b) => Number(b.failed) - Number(a.failed) || a.durationMs - b.durationMs)
        add(sums.get('oracle')!, orderMetrics(oracle))
      }
    }
    history.learn(run.files.map((file) => ({ fileId: file.fileId, status: file.status, durationMs: file.durationMs })))
  }
  const mean = (value: number): number => (withFailures ? value / withFailures : Number.NaN)
  return {
    runs: count,
    runsWithFailures: withFailures,
    contenders: names.map((name) => {
      const s = sums.get(name)!
      return { name, apfd: mean(s.apfd), apfdc: mean(s.apfdc), napfd: mean(s.napfd), timeToFirstFailureMs: mean(s.ttff) }
    }),
    orders,
  }
}

export interface WorkersReplayOptions {
  /** Orders to compare; LPT is always planned too, as the reference. */
  policies: readonly PolicyName[]
  workers: number
  seed: number
  historyLimit?: number
}

/** One order on several workers, against longest-first (LPT) on the same runs. */
export interface WorkersContender {
  name: string
  /** Mean over the measured runs of the plan's predicted makespan ÷ LPT's (flakeline's own model). */
  predictedRatio: number
  worstPredictedRatio: number
  /** Mean over the measured runs of the makespan with the run's real durations ÷ LPT's with them. */
  replayedRatio: number
  /** Mean makespan with the real durations over the measured runs, in ms. */
  replayedMs: number
  /** Over the runs with failures: APFDc of the order, and when the first failure shows on the workers. */
  apfdc: number
  timeToFirstFailureMs: number
}

export interface WorkersReplaySummary {
  workers: number
  /** Runs with at least `workers` files that ran: the makespan figures average over these. */
  runs: number
  /** Of those, runs where some file was likely to fail (what lets `auto` run files early). */
  runsWithLikely: number
  /** Runs with at least one failing file (any size): APFDc and first failure average over these. */
  runsWithFailures: number
  /** `auto`'s worst predicted makespan ÷ LPT's on the measured runs with nothing likely to fail, and with something likely. */
  autoWorstWithoutLikely: number
  autoWorstWithLikely: number
  contenders: WorkersContender[]
}

/**
 * Replays a history on `workers` workers: each run's files planned from the runs before it by each
 * policy and by LPT, then each order dispatched to the workers, both with the predicted durations
 * (the plan's own makespan) and with the durations the files really took. What `auto` promises is
 * checked on the first: within 3% of LPT when no file is likely to fail, 5% otherwise.
 */
export async function replayOnWorkers(runs: Iterable<ReplayRun> | AsyncIterable<ReplayRun>, options: WorkersReplayOptions): Promise<WorkersReplaySummary> {
  const history = new InMemoryHistory(options.historyLimit)
  const names = Array.from(new Set(options.policies))
  const sums = new Map(names.map((name) => [name, { predicted: 0, worst: 0, replayed: 0, replayedMs: 0, apfdc: 0, ttff: 0 }]))
  let measured = 0
  let withLikely = 0
  let withFailures = 0
  let worstWithout = 0
  let worstWith = 0
  for await (const run of runs) {
    const ran = run.files.filter((file) => file.status === 'passed' || file.status === 'failed')
    const failing = ran.some((file) => file.status === 'failed')
    const sized = ran.length >= options.workers
    if (failing || sized) {
      const outcomeOf = new Map(ran.map((file) => [file.fileId, { failed: file.status === 'failed', durationMs: file.durationMs }]))
      const files = ran.map((file) => plainPlanFile(file.fileId, history.evidence.get(file.fileId) ?? NO_EVIDENCE))
      const suite = suiteModel(history.evidence.values())
      const settings = (policy: PolicyName): PlanSettings => ({ policy, workers: options.workers, seed: options.seed, suite, explain: false })
      const lpt = planFiles(files, settings('lpt'))
      const lptReplayed = parallelOrderMetrics(lpt.order.map((file) => outcomeOf.get(file.fileId)!), options.workers).makespanMs
      let likely = false
      if (sized) {
        measured++
        const context = policyContext(files, settings('auto'))
        likely = files.some((file, i) => likelyToFail(file, context.probabilities[i]!, context.durations[i]!, suite))
        if (likely) withLikely++
      }
      if (failing) withFailures++
      for (const name of names) {
        const planned = name === 'lpt' ? lpt : planFiles(files, settings(name))
        const outcomes = planned.order.map((file) => outcomeOf.get(file.fileId)!)
        const parallel = parallelOrderMetrics(outcomes, options.workers)
        const sum = sums.get(name)!
        if (sized) {
          const ratio = planned.predictedMakespanMs / lpt.predictedMakespanMs
          sum.predicted += ratio
          sum.worst = Math.max(sum.worst, ratio)
          sum.replayed += lptReplayed > 0 ? parallel.makespanMs / lptReplayed : 1
          sum.replayedMs += parallel.makespanMs
          if (name === 'auto') {
            if (likely) worstWith = Math.max(worstWith, ratio)
            else worstWithout = Math.max(worstWithout, ratio)
          }
        }
        if (failing) {
          sum.apfdc += orderMetrics(outcomes).apfdc ?? 0
          sum.ttff += parallel.timeToFirstFailureMs ?? 0
        }
      }
    }
    history.learn(run.files.map((file) => ({ fileId: file.fileId, status: file.status, durationMs: file.durationMs })))
  }
  const mean = (value: number, over: number): number => (over ? value / over : Number.NaN)
  return {
    workers: options.workers,
    runs: measured,
    runsWithLikely: withLikely,
    runsWithFailures: withFailures,
    autoWorstWithoutLikely: worstWithout,
    autoWorstWithLikely: worstWith,
    contenders: names.map((name) => {
      const s = sums.get(name)!
      return {
        name,
        predictedRatio: mean(s.predicted, measured),
        worstPredictedRatio: s.worst,
        replayedRatio: mean(s.replayed, measured),
        replayedMs: mean(s.replayedMs, measured),
        apfdc: mean(s.apfdc, withFailures),
        timeToFirstFailureMs: mean(s.ttff, withFailures),
      }
    }),
  }
}

// The verdict of one test from its measures and the model's probability. Each rule says why.
import type { HistoryMeasures } from '../analysis/history-signals.js'
import { lnBeta } from '../analysis/statistics.js'
import { plural } from '../core/plural.js'
import type { ModelState, VerdictKind } from './types.js'

/** Runs a test needs before it gets a verdict other than `new` (unless it is definitively flaky). */
export const MIN_RUNS = 3
/** Runs after a failing block ends during which the test is `recovered`, before `stable` again. */
export const RECOVERED_RUNS = 3

/** A verdict without its identity and evidence. */
export interface Decision {
  verdict: VerdictKind
  confidence: number
  flakyProbability: number
  /** Index in the measured window of the run since which the verdict holds. */
  sinceIndex: number
  reason: string
}

/**
 * P(the newest `streak` runs all fail | flaky with a failure rate θ ~ Beta(a, b) learned from the
 * runs before the streak), for the runs after the first failure: E[θ^(streak-1)] =
 * B(a + streak - 1, b) / B(a, b). A test that failed 1 run in 20 before is unlikely to fail 4 in
 * a row by chance; one that failed every other run is not.
 */
export function streakLikelihood(streak: number, a: number, b: number): number {
  if (streak <= 1) return 1
  return Math.exp(lnBeta(a + streak - 1, b) - lnBeta(a, b))
}

function odds(p: number): number {
  return p / Math.max(1e-12, 1 - p)
}

/**
 * Decides one test. `pf` is the model's calibrated probability that its failures are flaky.
 * - `new`: fewer than {@link MIN_RUNS} runs and no definitive evidence — nothing to compare yet.
 * - A current streak of failures first updates `pf` by how likely such a streak is for a flaky
 *   test with this history ({@link streakLikelihood}): consecutive failures are what a real
 *   failure looks like.
 * - `failing`: at least `thresholds.failingStreak` consecutive failures (two more when one of them
 *   also passed on the same code) and the updated probability below the flaky threshold.
 * - `recovered`: the newest failing block was that long, had no flaky evidence, ended at most
 *   {@link RECOVERED_RUNS} runs ago, and the test is not flaky.
 * - `flaky`: the probability reaches the threshold, with at least two failures or definitive
 *   evidence (one failure alone never makes a test flaky: a regression starts with one too).
 * - `stable`: everything else.
 */
export function decide(m: HistoryMeasures, pf: number, thresholds: ModelState['thresholds']): Decision {
  const definitive = m.passedOnRetry > 0 || m.mixedStates > 0
  const eventful = m.failures > 0 || m.passedOnRetry > 0
  const enough = m.failures >= 2 || definitive
  const since = m.firstFailure >= 0 ? m.firstFailure : 0
  if (m.runs < MIN_RUNS && !definitive) {
    return { verdict: 'new', confidence: 1, flakyProbability: eventful ? pf : 0, sinceIndex: 0, reason: `${m.runs} run${m.runs === 1 ? '' : 's'} so far; a verdict needs ${MIN_RUNS}` }
  }
  if (m.streak > 0) {
    const o = odds(pf) * streakLikelihood(m.streak, m.preStreakA, m.preStreakB)
    const now = o / (1 + o)
    const needed = thresholds.failingStreak + (m.streakDefinitive ? 2 : 0)
    if (m.streak >= needed && now < thresholds.flaky) {
      return {
        verdict: 'failing',
        confidence: 1 - now,
        flakyProbability: now,
        sinceIndex: m.runs - m.streak,
        reason: `failed the last ${m.streak} runs${messageNote(m)}${m.streakDefinitive ? ', though it passed on one of these commits before' : '; no flaky evidence among them'}`,
      }
    }
    if (now >= thresholds.flaky && enough) return flaky(now, since, m)
    return {
      verdict: 'stable',
      confidence: 1 - now,
      flakyProbability: now,
      sinceIndex: m.runs - m.streak,
      reason: `failed the last ${m.streak === 1 ? 'run' : `${m.streak} runs`}; not yet enough to call it failing or flaky (flaky ${Math.round(now * 100)}%)`,
    }
  }
  if (m.lastBlock >= thresholds.failingStreak && !m.blockDefinitive && m.passesSince <= RECOVERED_RUNS && pf < thresholds.flaky) {
    return {
      verdict: 'recovered',
      confidence: 1 - pf,
      flakyProbability: pf,
      sinceIndex: m.runs - m.passesSince,
      reason: `failed ${m.lastBlock} runs in a row, passes again since ${m.passesSince} run${m.passesSince === 1 ? '' : 's'}${m.fixChanged ? ', after a change to the test or its sources' : ''}`,
    }
  }
  if (pf >= thresholds.flaky && enough) return flaky(pf, since, m)
  return {
    verdict: 'stable',
    confidence: 1 - (eventful ? pf : 0),
    flakyProbability: eventful ? pf : 0,
    sinceIndex: m.lastFailure >= 0 ? m.lastFailure + 1 : 0,
    reason: eventful ? `${m.failures} failure${m.failures === 1 ? '' : 's'} in ${m.runs} runs, not enough to call it flaky (${Math.round(pf * 100)}%)` : `passed all ${m.runs} runs`,
  }
}

function flaky(p: number, since: number, m: HistoryMeasures): Decision {
  const what = m.passedOnRetry > 0 ? `passed on retry in ${plural(m.passedOnRetry, 'run')}` : m.mixedStates > 0 ? 'passed and failed on the same commit' : `failed ${m.failures} of ${m.runs} runs without a change that explains it`
  return { verdict: 'flaky', confidence: p, flakyProbability: p, sinceIndex: since, reason: `flaky (${Math.round(p * 100)}%): ${what}` }
}

function messageNote(m: HistoryMeasures): string {
  if (m.messages < 2 || !Number.isFinite(m.messageDiversity)) return ''
  return m.messageDiversity < 0.25 ? ' with the same message' : ' with varying messages'
}

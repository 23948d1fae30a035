import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { safeText } from '../cli/format.js'
import type { RunReport } from './run-report.js'
import type { RunnerFacts } from './runner-facts.js'

/**
 * `flakeline run` names a file in this variable; the reporter appends one line per run to it when the
 * run ends. The wrapper reads it after the runner exits to decide the exit code.
 */
export const OUTCOME_ENV = 'FLAKELINE_RUN_OUTCOME'

/** What one run's reporter tells `flakeline run` (one JSON line per run). */
export interface RunOutcome {
  format: 'flakeline-run-outcome'
  version: 1
  run: string
  runner: string
  /** The runner's exit code for failed tests; null when the reporter did not learn it. */
  failureExitCode: number | null
  quarantineEnabled: boolean
  quarantined: Array<{ file: string; test: string; reason: string }>
  /** Failures quarantine does not excuse (file errors included), at most 20 named. */
  blocking: Array<{ file: string; test: string | null; reason: string }>
  blockingCount: number
  /** What else fails the run that quarantine cannot vouch for (see `quarantineBlockers`). */
  blockers: string[]
}

const NAMED = 20

/** The outcome line of a run, from its report and the runner's facts. */
export function outcomeOf(report: RunReport, facts: RunnerFacts | undefined): RunOutcome {
  const blocking: RunOutcome['blocking'] = [
    ...report.fileErrors.map((error) => ({ file: error.file, test: null, reason: 'error outside any test' })),
    ...report.failures.map((test) => ({ file: test.file, test: test.test, reason: test.quarantine?.reason ?? 'not known flaky' })),
    ...report.flakyFailures.filter((test) => !test.quarantine?.quarantined).map((test) => ({ file: test.file, test: test.test, reason: test.quarantine?.reason ?? 'quarantine is off' })),
  ]
  return {
    format: 'flakeline-run-outcome',
    version: 1,
    run: report.run.id,
    runner: report.run.runner,
    failureExitCode: facts?.failureExitCode ?? null,
    quarantineEnabled: report.quarantine.enabled,
    quarantined: report.flakyFailures.filter((test) => test.quarantine?.quarantined).map((test) => ({ file: test.file, test: test.test, reason: test.quarantine!.reason })),
    blocking: blocking.slice(0, NAMED),
    blockingCount: blocking.length,
    blockers: report.quarantine.blockers,
  }
}

/** Appends one run's outcome (the wrapper's file; a line per run, so several runs in one command add up). */
export function appendOutcome(path: string, outcome: RunOutcome): void {
  appendFileSync(path, `${JSON.stringify(outcome)}\n`)
}

function isOutcome(value: unknown): value is RunOutcome {
  if (!value || typeof value !== 'object') return false
  const o = value as Partial<RunOutcome>
  return o.format === 'flakeline-run-outcome' && o.version === 1 && typeof o.run === 'string' && Array.isArray(o.quarantined) && Array.isArray(o.blocking) && typeof o.blockingCount === 'number' && Array.isArray(o.blockers)
}

/** The outcomes in the wrapper's file; a line that is not an outcome makes the whole file untrusted (null). */
export function readOutcomes(path: string): RunOutcome[] | null {
  if (!existsSync(path)) return []
  const outcomes: RunOutcome[] = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    try {
      const parsed: unknown = JSON.parse(line)
      if (!isOutcome(parsed)) return null
      outcomes.push(parsed)
    } catch {
      return null
    }
  }
  return outcomes
}

/** What `flakeline run` exits with, and the lines it prints to say why. */
export interface ExitDecision {
  code: number
  lines: string[]
}

function named(list: ReadonlyArray<{ file: string; test: string | null; reason: string }>, count = list.length): string {
  const shown = list.slice(0, 5).map((entry) => `${entry.test !== null ? `${safeText(entry.test, 100)} (${safeText(entry.file, 80)})` : safeText(entry.file, 100)}: ${entry.reason}`)
  return `${shown.join('; ')}${count > shown.length ? `; and ${count - shown.length} more` : ''}`
}

/**
 * The wrapper's exit code. It is the runner's own unless flakeline can vouch that the only reason
 * for it is quarantined failures: the runner exited with its test-failure code, every run under
 * the command reported an outcome, none has a blocker (errors outside tests, snapshots, coverage
 * thresholds, bail, interruption) or a failure quarantine does not excuse, and at least one failure
 * was quarantined. Anything unexplained keeps the runner's code: a failure must never turn into a
 * success by accident.
 */
export function exitDecision(runnerCode: number, outcomes: readonly RunOutcome[] | null): ExitDecision {
  if (runnerCode === 0) return { code: 0, lines: [] }
  const keep = (why: string): ExitDecision => ({ code: runnerCode, lines: [`exit code ${runnerCode} kept: ${why}`] })
  if (outcomes === null) return keep('the run outcome file was not written by flakeline (unreadable lines)')
  if (outcomes.length === 0) return keep("no run reported an outcome (is flakeline's reporter in the runner's config, and did the run reach its end?)")
  if (!outcomes.some((outcome) => outcome.quarantineEnabled)) return keep('quarantine is off (set quarantine: true or FLAKELINE_QUARANTINE=1)')
  const blockers = outcomes.flatMap((outcome) => outcome.blockers)
  if (blockers.length) return keep(blockers.join('; '))
  const blockingCount = outcomes.reduce((sum, outcome) => sum + outcome.blockingCount, 0)
  if (blockingCount > 0) return keep(`${blockingCount} failure${blockingCount === 1 ? ' is' : 's are'} not quarantined: ${named(outcomes.flatMap((outcome) => outcome.blocking), blockingCount)}`)
  const codes = new Set(outcomes.map((outcome) => outcome.failureExitCode))
  if (codes.size !== 1 || !codes.has(runnerCode)) return keep(`it is not the runner's test-failure exit code (${[...codes].map(String).join(', ')}), so something else failed`)
  const quarantined = outcomes.flatMap((outcome) => outcome.quarantined)
  if (quarantined.length === 0) return keep('no failure was quarantined, yet the runner failed')
  return {
    code: 0,
    lines: [`exit code ${runnerCode} → 0: the only failures were ${quarantined.length} quarantined known-flaky test${quarantined.length === 1 ? '' : 's'}: ${named(quarantined.map((entry) => ({ ...entry, test: entry.test })))}`],
  }
}

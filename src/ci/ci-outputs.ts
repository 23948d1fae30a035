import { appendFileSync } from 'node:fs'
import { safeText } from '../cli/format.js'
import type { ResolvedOptions } from '../config/load-options.js'
import type { Notices } from '../core/notices.js'
import type { VerdictChanges } from '../core/run-analysis.js'
import { ErrorCodes, asFlakelineError } from '../errors.js'
import type { RunRecord } from '../records.js'
import type { HistoryStore } from '../store/history-store.js'
import { annotationsOf } from './annotations.js'
import { renderMarkdown } from './job-summary.js'
import { sourceLinkBase } from './markdown.js'
import { appendOutcome, OUTCOME_ENV, outcomeOf } from './run-outcome.js'
import { saveLastReport } from './report-file.js'
import { buildRunReport } from './run-report.js'
import { takeRunnerFacts } from './runner-facts.js'
import { capAnnotations, workflowCommand } from './workflow-commands.js'

/** What the CI outputs need besides the store and the run. */
export interface CiOutputContext {
  options: ResolvedOptions
  notices: Notices
  /** What the run's analysis changed; null when it did not run. */
  changes: VerdictChanges | null
  env?: NodeJS.ProcessEnv
  /** Where workflow commands go (default stderr, where Jest's own `github-actions` reporter writes them too; GitHub reads both streams). */
  write?: (text: string) => void
}

/** Whether this run writes GitHub's annotations and job summary. */
export function onGitHub(options: Pick<ResolvedOptions, 'ci'>, env: NodeJS.ProcessEnv): boolean {
  return options.ci === 'github' || (options.ci === 'auto' && env.GITHUB_ACTIONS === 'true')
}

/**
 * The end of a run in CI, called by the recorder with the store still open: on GitHub the
 * annotations (capped per level, the most important first, saying what was left out) and the job
 * summary appended to `GITHUB_STEP_SUMMARY`; under `flakeline run` the run's outcome for the
 * wrapper's exit code; with quarantine on, a line per quarantined failure. Never throws: a problem is
 * one `FLAKELINE_E_CI_OUTPUT` warning and the run's outcome is untouched. The report is kept beside the
 * store for `flakeline report`.
 */
export async function writeCiOutputs(store: HistoryStore, run: RunRecord, context: CiOutputContext): Promise<void> {
  const { options, notices } = context
  const env = context.env ?? process.env
  const facts = takeRunnerFacts(options.root)
  const github = onGitHub(options, env)
  const outcomeFile = env[OUTCOME_ENV]
  if (!github && !outcomeFile && options.quarantine === false) return
  try {
    const summaryFile = github ? env.GITHUB_STEP_SUMMARY : undefined
    const report = await buildRunReport(store, run, { options, changes: context.changes, facts, env, stability: Boolean(summaryFile) })
    if (github) {
      const annotateFailures = options.annotateFailures === 'auto' ? !facts?.runnerAnnotatesFailures : options.annotateFailures
      const { shown, leftOut } = capAnnotations(annotationsOf(report, { annotateFailures }))
      if (shown.length) (context.write ?? ((text: string) => process.stderr.write(text)))(`${shown.map(workflowCommand).join('\n')}\n`)
      if (leftOut.length) notices.info(`${leftOut.length} annotation${leftOut.length === 1 ? '' : 's'} left out (GitHub shows 10 of each kind per step); the job summary lists them`)
      if (summaryFile) appendFileSync(summaryFile, `${renderMarkdown(report, { linkBase: sourceLinkBase(env) })}\n`)
    }
    if (outcomeFile) appendOutcome(outcomeFile, outcomeOf(report, facts))
    saveLastReport(options.dir, report)
    for (const test of report.flakyFailures.filter((entry) => entry.quarantine?.quarantined).slice(0, 5)) {
      notices.info(`quarantined: ${safeText(test.test, 100)} (${safeText(test.path, 80)}, ${test.quarantine!.reason}) failed; ${outcomeFile ? 'flakeline run decides the exit code' : 'the runner still fails the run unless it runs under `flakeline run`'}`)
    }
  } catch (error) {
    notices.warn(asFlakelineError(error, ErrorCodes.CI_OUTPUT, 'cannot write the CI outputs (annotations, job summary, run outcome); the run is unaffected'))
  }
}

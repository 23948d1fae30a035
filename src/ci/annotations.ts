import { describeDuration } from '../scheduling/duration-text.js'
import type { RunReport, ReportedTest } from './run-report.js'
import type { Annotation } from './workflow-commands.js'

/** Lines of a failure message an annotation carries: GitHub shows an annotation in a few lines. */
const MESSAGE_LINES = 12

function firstLines(message: string | null): string {
  if (!message) return ''
  const lines = message.split('\n')
  return lines.length > MESSAGE_LINES ? `${lines.slice(0, MESSAGE_LINES).join('\n')}\n… (${lines.length - MESSAGE_LINES} more lines)` : message
}

function percent(confidence: number | null): string {
  return confidence === null ? '' : `${Math.round(confidence * 100)}%`
}

function verdictLine(test: ReportedTest): string {
  if (!test.verdict) return 'no verdict yet'
  const evidence = test.evidence.length ? `; ${test.evidence.join('; ')}` : ''
  return `flakeline: ${test.verdict}${test.verdict === 'flaky' ? ` ${percent(test.confidence)}` : ''}${test.verdictChanged ? ' (new verdict)' : ''}: ${test.verdictReason ?? ''}${evidence}`
}

/**
 * The run's annotations, most important first within each level (the cap keeps the first): real
 * failures (new ones first) and file errors as `error` unless the runner annotates failures itself;
 * known-flaky failures (quarantined or not) and tests that passed on retry as `warning`; deadline
 * misses and recovered tests as `notice`. `file` is relative to the repository root; what concerns a
 * whole file (a deadline, an error outside the tests) is placed on its first line.
 */
export function annotationsOf(report: RunReport, options: { annotateFailures: boolean }): Annotation[] {
  const at = (path: string) => `${report.repoPrefix}${path}`
  const annotations: Annotation[] = []
  if (options.annotateFailures) {
    for (const test of report.failures) {
      annotations.push({
        level: 'error',
        file: at(test.path),
        line: test.line,
        column: test.column,
        title: `${test.newFailure ? 'New failure' : 'Failed'}: ${test.test}`,
        message: [firstLines(test.message) || 'failed', '', `${verdictLine(test)}`, `outcomes, newest last: ${test.strip}`, test.quarantine && !test.quarantine.quarantined && test.quarantine.reason !== 'quarantine is off' ? `not quarantined: ${test.quarantine.reason}` : '']
          .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
          .join('\n')
          .trim(),
      })
    }
    for (const error of report.fileErrors) {
      annotations.push({ level: 'error', file: at(error.path), line: 1, title: `File failed outside its tests: ${error.path}`, message: firstLines(error.message) })
    }
  }
  for (const test of report.flakyFailures) {
    const quarantined = test.quarantine?.quarantined === true
    annotations.push({
      level: 'warning',
      file: at(test.path),
      line: test.line,
      column: test.column,
      title: `${quarantined ? 'Quarantined' : 'Known flaky'}, failed: ${test.test}`,
      message: [
        quarantined ? 'quarantined: this failure does not fail the run (flakeline run)' : test.quarantine ? `not quarantined: ${test.quarantine.reason}` : 'known flaky; the failure still fails the run (quarantine is off)',
        verdictLine(test),
        `outcomes, newest last: ${test.strip}`,
        '',
        firstLines(test.message),
      ]
        .join('\n')
        .trim(),
    })
  }
  for (const test of report.retried) {
    annotations.push({
      level: 'warning',
      file: at(test.path),
      line: test.line,
      column: test.column,
      title: `Flaky: ${test.test}`,
      message: [`passed on retry (${test.attempts} attempts)`, verdictLine(test), `outcomes, newest last: ${test.strip}`, '', firstLines(test.message)].join('\n').trim(),
    })
  }
  for (const miss of report.deadlineMisses) {
    annotations.push({
      level: 'notice',
      file: at(miss.path),
      line: 1,
      title: `Deadline missed: ${miss.file}`,
      message: `finished ${describeDuration(miss.finishedMs)} after the run started; its deadline is ${describeDuration(miss.deadlineMs)}`,
    })
  }
  for (const test of report.recovered) {
    annotations.push({ level: 'notice', file: at(test.path), line: test.line, column: test.column, title: `Recovered: ${test.test}`, message: `${verdictLine(test)}\noutcomes, newest last: ${test.strip}` })
  }
  return annotations
}

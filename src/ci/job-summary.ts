import { formatDuration } from '../cli/format.js'
import type { DurationRegression } from './duration-regressions.js'
import { code, link, marker, sourceUrl, table } from './markdown.js'
import type { ReportedTest, RunReport } from './run-report.js'
import type { SeriesStability, SuiteStability } from './suite-stability.js'
import { plural } from '../core/plural.js'

/** How the Markdown is rendered. */
export interface MarkdownOptions {
  /** Put the hidden marker first (`report --format markdown`, for one updated pull-request comment). */
  marker?: string | null
  /** Source links: `https://github.com/OWNER/REPO/blob/SHA/` (see `sourceLinkBase`). */
  linkBase?: string | null
}

/** Rows per section: a summary is read, not searched (the JSON report has every row). */
export const ROWS_PER_SECTION = 25
/** GitHub refuses a step summary over 1 MiB; stay far below it. */
export const MAX_SUMMARY_CHARS = 256 * 1024

function percent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)}%`
}

function capped<T>(items: readonly T[], render: (items: readonly T[]) => string, what: string): string {
  const shown = render(items.slice(0, ROWS_PER_SECTION))
  return items.length > ROWS_PER_SECTION ? `${shown}\n\n…and ${plural(items.length - ROWS_PER_SECTION, what)} more (\`npx flakeline report --format json\` lists them all).` : shown
}

function testCell(report: RunReport, test: ReportedTest, base: string | null): string {
  return `${link(code(test.test, 100), sourceUrl(base, `${report.repoPrefix}${test.path}`, test.line))}<br>${code(test.path + (test.line ? `:${test.line}` : ''), 80)}`
}

function verdictCell(test: ReportedTest): string {
  if (!test.verdict) return 'no verdict yet'
  const sure = test.verdict === 'flaky' || test.verdict === 'failing' ? ` ${percent(test.confidence)}` : ''
  return `**${test.verdict}**${sure}${test.verdictChanged ? ' (new)' : ''}`
}

function evidenceCell(test: ReportedTest): string {
  const lines = test.evidence.length ? test.evidence : test.verdictReason ? [test.verdictReason] : []
  return lines.map((line) => code(line, 110)).join('<br>') || '—'
}

function messageCell(test: ReportedTest): string {
  const first = test.message?.split('\n').find((line) => line.trim() !== '') ?? ''
  return first ? code(first.trim(), 140) : '—'
}

function failuresTable(report: RunReport, tests: readonly ReportedTest[], base: string | null): string {
  return table(
    ['test', 'verdict', 'last 20 runs', 'message'],
    tests.map((test) => [testCell(report, test, base), verdictCell(test) + (test.quarantine && !test.quarantine.quarantined && test.quarantine.reason !== 'quarantine is off' ? `<br>not quarantined: ${code(test.quarantine.reason, 90)}` : ''), code(test.strip || '✗'), messageCell(test)]),
  )
}

function thisRun(test: ReportedTest): string {
  if (test.status === 'passed') return `↻ passed on retry (${plural(test.attempts, 'attempt')})`
  if (test.quarantine?.quarantined) return `✗ failed, **quarantined**`
  return `✗ failed (known flaky)${test.quarantine && test.quarantine.reason !== 'quarantine is off' ? `<br>not quarantined: ${code(test.quarantine.reason, 90)}` : ''}`
}

function flakyTable(report: RunReport, tests: readonly ReportedTest[], base: string | null): string {
  return table(
    ['test', 'this run', 'verdict', 'evidence', 'last 20 runs'],
    tests.map((test) => [testCell(report, test, base), thisRun(test), verdictCell(test), evidenceCell(test), code(test.strip)]),
  )
}

function regressionName(regression: DurationRegression): string {
  return regression.test === null ? `${code(regression.file, 100)} (file)` : `${code(regression.test, 100)}<br>${code(regression.file, 80)}`
}

function describeSeries(series: SeriesStability, format: (value: number) => string): string {
  const how =
    series.kind === 'periodic'
      ? `periodic, every ${series.period !== null ? series.period.toFixed(1) : '?'} runs`
      : series.kind === 'drifting'
        ? `drifting ${series.change >= 0 ? 'up' : 'down'}, ${series.change >= 0 ? '+' : ''}${Math.round(series.change * 100)}% over the window`
        : series.kind
  return `**${how}** (${series.attractor}, λ ${series.exponent.toFixed(3)}/run, median ${format(series.median)}, latest ${format(series.latest)})`
}

/** The stability paragraph: the class of each series, then what drives them. */
function stabilitySection(stability: SuiteStability): string {
  if (!stability.passRate || !stability.duration || !stability.kind) {
    return `Not classified yet: ${plural(stability.runs, 'run')} recorded, ${stability.needed} needed for the attractor class and Lyapunov exponent.`
  }
  const lines = [
    `**${stability.kind}** over the last ${stability.runs} runs: pass rate ${describeSeries(stability.passRate, (v) => `${(v * 100).toFixed(1)}%`)}; duration ${describeSeries(stability.duration, (v) => formatDuration(v))}.`,
  ]
  const drivers = [
    ...stability.drivers.failing.map((test) => `${code(test.test, 80)} in ${code(test.file, 60)} failed ${test.failedRuns} of ${test.runs} runs`),
    ...stability.drivers.slow.map((file) => `${code(file.file, 80)} varies by ±${formatDuration(file.spreadMs)} (${Math.round(file.share * 100)}% of the duration spread)`),
  ]
  if (drivers.length) lines.push(`Driven by: ${drivers.join('; ')}.`)
  return lines.join('\n\n')
}

/** The headline: what a reader needs before scrolling. */
function headline(report: RunReport): string {
  const t = report.totals
  const parts: string[] = []
  if (report.failures.length || report.fileErrors.length) parts.push(`❌ ${plural(report.failures.length, 'failure')}${report.fileErrors.length ? ` + ${plural(report.fileErrors.length, 'file error')}` : ''}`)
  const flaky = report.retried.length + report.flakyFailures.length
  if (flaky) parts.push(`⚠️ ${plural(flaky, 'flaky test')}`)
  if (report.quarantine.quarantined) parts.push(`🧊 ${report.quarantine.quarantined} quarantined`)
  parts.push(`✅ ${t.passed} passed`)
  if (!report.failures.length && !report.fileErrors.length && !flaky) parts.unshift('all green')
  return `## flakeline: ${parts.join(' · ')}`
}

/**
 * The run's report in GitHub Markdown: the job summary (appended to `GITHUB_STEP_SUMMARY`) and
 * `flakeline report --format markdown` (with the hidden marker, for one updated pull-request
 * comment). Every name, path and message is a bounded code span; sections with nothing to say are
 * left out, except the order and the suite's stability.
 */
export function renderMarkdown(report: RunReport, options: MarkdownOptions = {}): string {
  const base = options.linkBase ?? null
  const t = report.totals
  const out: string[] = []
  if (options.marker !== undefined && options.marker !== null) out.push(marker(options.marker || undefined))
  out.push(headline(report))
  const commit = report.run.commit ? ` · commit ${code(report.run.commit.slice(0, 12))}${report.run.dirty ? ' (with local changes)' : ''}${report.run.branch ? ` on ${code(report.run.branch, 60)}` : ''}` : ''
  out.push(`Run ${code(report.run.id)} · ${report.run.runner} ${code(report.run.runnerVersion, 40)}${commit} · ${formatDuration(report.run.durationMs)} on ${plural(report.run.workers, 'worker')}`)
  out.push(
    table(
      ['files', 'tests', 'passed', 'failed', 'new failures', 'passed on retry', 'skipped', 'todo'],
      [[String(t.files), String(t.tests), String(t.passed), String(t.failed), String(report.failures.filter((test) => test.newFailure).length), String(t.flaky), String(t.skipped), String(t.todo)]],
    ),
  )
  const fresh = report.failures.filter((test) => test.newFailure)
  const still = report.failures.filter((test) => !test.newFailure)
  if (fresh.length) out.push(`### ❌ New failures (${fresh.length})\n\nThese tests did not fail in their previous run.\n\n${capped(fresh, (rows) => failuresTable(report, rows, base), 'failure')}`)
  if (still.length) out.push(`### ❌ Still failing (${still.length})\n\n${capped(still, (rows) => failuresTable(report, rows, base), 'failure')}`)
  if (report.fileErrors.length) {
    out.push(`### ❌ Errors outside tests (${report.fileErrors.length})\n\n${capped(report.fileErrors, (rows) => table(['file', 'error'], rows.map((error) => [code(error.path, 100), code(error.message.split('\n')[0] ?? '', 160)])), 'file')}`)
  }
  const flaky = [...report.flakyFailures, ...report.retried]
  if (flaky.length) {
    out.push(
      `### ⚠️ Flaky tests (${flaky.length})\n\nFailed and passed on the same code: in this run (passed on retry), or known flaky from earlier runs. The verdict weighs every recorded run, not this one alone.\n\n${capped(flaky, (rows) => flakyTable(report, rows, base), 'test')}`,
    )
  }
  if (report.quarantine.enabled) out.push(quarantineSection(report))
  if (report.recovered.length) {
    out.push(`### ✅ Recovered (${report.recovered.length})\n\n${capped(report.recovered, (rows) => table(['test', 'verdict', 'last 20 runs'], rows.map((test) => [testCell(report, test, base), `${verdictCell(test)}<br>${code(test.verdictReason ?? '', 110)}`, code(test.strip)])), 'test')}`)
  }
  if (report.slowestFiles.length) {
    out.push(`### ⏱️ Slowest files\n\n${table(['file', 'this run', 'usual (median of the previous 5)'], report.slowestFiles.map((file) => [code(file.path, 100), formatDuration(file.durationMs), formatDuration(file.usualMs)]))}`)
  }
  if (report.durationRegressions.length) {
    out.push(
      `### 🐢 Duration regressions (${report.durationRegressions.length})\n\nSlower than their own recent spread for several runs in a row (a change point, not one slow run).\n\n${capped(
        report.durationRegressions,
        (rows) => table(['test or file', 'before: p50 / p95', 'after: p50', 'change', 'since'], rows.map((r) => [regressionName(r), `${formatDuration(r.beforeP50Ms)} / ${formatDuration(r.beforeP95Ms)}`, formatDuration(r.afterP50Ms), Number.isFinite(r.ratio) ? `×${r.ratio.toFixed(2)}` : '—', `run ${r.sinceSeq} (${plural(r.runsSince, 'run')})`])),
        'regression',
      )}`,
    )
  }
  if (report.deadlineMisses.length) {
    out.push(`### ⏰ Deadline misses (${report.deadlineMisses.length})\n\n${table(['file', 'deadline', 'finished after'], report.deadlineMisses.slice(0, ROWS_PER_SECTION).map((miss) => [code(miss.file, 100), formatDuration(miss.deadlineMs), formatDuration(miss.finishedMs)]))}`)
  }
  out.push(`### 🧭 Order and time to first failure\n\n${orderSection(report)}`)
  if (report.shards) out.push(`### 🧩 Shards\n\n${shardSection(report)}`)
  if (report.stability) out.push(`### 📈 Suite stability\n\n${stabilitySection(report.stability)}`)
  out.push(`<sub>flakeline · \`npx flakeline flaky\` lists every flaky test, \`npx flakeline explain <test>\` tells one test's story.</sub>`)
  const text = `${out.join('\n\n')}\n`
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS - 200)}\n\n…cut at ${MAX_SUMMARY_CHARS / 1024} KiB; \`npx flakeline report --format json\` has everything.\n`
}

function quarantineSection(report: RunReport): string {
  const q = report.quarantine
  const rule = `failures of tests with a \`flaky\` verdict from earlier runs, at least ${Math.round(q.minConfidence * 100)}% sure; never a \`failing\` or \`new\` test`
  if (q.quarantined === 0) return `### 🧊 Quarantine\n\nOn (${rule}): nothing quarantined in this run.`
  const outcome = q.excused
    ? `The run's only failures are quarantined: through \`flakeline run\` it ends as a success.`
    : q.blocking > 0
      ? `The run still fails: ${plural(q.blocking, 'failure')} ${q.blocking === 1 ? 'is' : 'are'} not quarantined.`
      : `The run still fails: ${q.blockers.join('; ')}.`
  return `### 🧊 Quarantine\n\n${plural(q.quarantined, 'failure')} quarantined (${rule}). ${outcome}`
}

function orderSection(report: RunReport): string {
  const o = report.order
  const policy = `Policy \`${o.policy}\` on ${plural(o.workers, 'worker')}`
  if (o.failedFiles === 0) return `${policy}. No file failed, so there was no first failure to wait for.`
  const measured = o.measuredMs !== null ? `the first failure showed ${formatDuration(o.measuredMs)} after the start` : 'the first failure was not timed'
  if (o.sameAsDefault) return `${policy}: ${measured}. The files ran in the runner's own default order.`
  const ours = o.simulatedMs ?? 0
  const theirs = o.runnerDefaultMs ?? 0
  const compare = theirs > ours ? `${formatDuration(theirs - ours)} sooner` : theirs < ours ? `${formatDuration(ours - theirs)} later` : 'at the same time'
  return `${policy}: ${measured}. Replayed with this run's durations, this order shows it at ${formatDuration(ours)}, the runner's default order (failed last time, new, then longest first) at ${formatDuration(theirs)}: ${compare}.`
}

function shardSection(report: RunReport): string {
  const s = report.shards!
  const lines: string[] = []
  if (s.shard) lines.push(`Shard ${s.shard}${s.split ? `: split by ${s.split.mode === 'plan' ? 'a shard plan' : s.split.mode === 'job' ? "the local job's plan" : "the runner's hash"} (fingerprint ${code(s.split.fingerprint.slice(0, 12))}), ${plural(s.split.filesListed, 'file')} listed, ${s.split.unplanned} not in the plan` : ''}.`)
  if (s.parts.length) {
    lines.push(table(['shard', 'files', 'duration'], s.parts.map((part) => [part.shard ?? '—', String(part.files), formatDuration(part.durationMs)])))
    if (s.imbalance !== null) lines.push(`The slowest shard took ${s.imbalance.toFixed(2)}× the mean.`)
  }
  return lines.join('\n\n')
}

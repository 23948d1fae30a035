import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { annotationsOf } from '../../../src/ci/annotations.js'
import { renderMarkdown } from '../../../src/ci/job-summary.js'
import { sourceLinkBase } from '../../../src/ci/markdown.js'
import { buildRunReport, type RunReport } from '../../../src/ci/run-report.js'
import { vitestFacts } from '../../../src/ci/runner-facts.js'
import { capAnnotations, workflowCommand } from '../../../src/ci/workflow-commands.js'
import { useScratch } from '../core/_fixtures.js'
import { parseWorkflowCommands } from './_parse-commands.js'
import { HOSTILE, RUNS, scenario } from './_store.js'

const scratch = useScratch()

async function scenarioReport(overrides: { quarantine?: boolean | string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunReport> {
  const root = scratch.dir()
  const store = scratch.open(join(root, '.flakeline'), { historyLimit: 200 })
  const { last, changes } = await scenario(store)
  return buildRunReport(store, last, {
    options: { root, policy: 'auto', quarantine: overrides.quarantine ?? true, quarantineMinConfidence: 0.9 },
    changes,
    facts: vitestFacts({}, [], 'failed'),
    env: overrides.env ?? {},
  })
}

describe('the run report: one model of what a run found', () => {
  test('failures split into new, still failing and known flaky; retried, recovered; each with verdict, evidence and strip', async () => {
    const report = await scenarioReport()
    expect(report.run).toMatchObject({ id: `run-${RUNS}`, seq: RUNS, runner: 'vitest', status: 'failed', workers: 2 })
    expect(report.failures.map((test) => [test.test === HOSTILE ? 'HOSTILE' : test.test, test.newFailure, test.verdict])).toEqual([
      ['HOSTILE', true, null],
      ['invoice > adds tax', false, 'failing'],
    ])
    const invoice = report.failures[1]!
    expect(invoice).toMatchObject({ path: 'tests/invoice.test.ts', line: 9, column: 5, verdictChanged: true, strip: '✓✓✓✓✓✓✓✓✓✓✗✗' })
    expect(invoice.quarantine).toEqual({ quarantined: false, reason: 'failing: a real failure is never quarantined' })
    expect(report.failures[0]!.quarantine).toEqual({ quarantined: false, reason: 'no verdict yet (new)' })

    expect(report.flakyFailures).toHaveLength(1)
    expect(report.flakyFailures[0]).toMatchObject({ test: 'cache > warms', verdict: 'flaky', confidence: 0.95, verdictChanged: false, strip: '✓✓↻✓✓✗✓✓✓✓✓✗', quarantine: { quarantined: true, reason: 'known flaky (95%)' } })
    expect(report.flakyFailures[0]!.evidence).toEqual(['passedOnRetry: passed on retry in 3 of 12 runs', 'mixedOnSameCode: passed and failed on 1 commit'])

    expect(report.retried.map((test) => [test.test, test.attempts, test.verdictChanged, test.message, test.strip])).toEqual([['net > reconnects', 2, true, 'Error: connection reset', '✓✓✓↻✓✓✓↻✓✓✓↻']])
    expect(report.recovered.map((test) => [test.test, test.verdict, test.line])).toEqual([['cart > totals', 'recovered', 14]])
  })

  test('slowest files, a duration regression at its change point (not one slow run), the deadline miss', async () => {
    const report = await scenarioReport()
    expect(report.slowestFiles[0]).toEqual({ file: 'tests/slow.test.ts', path: 'tests/slow.test.ts', durationMs: 812, usualMs: 210 })
    expect(report.durationRegressions.map((r) => [r.file, r.test, r.sinceSeq, r.runsSince])).toEqual([
      ['tests/slow.test.ts', null, 10, 3],
      ['tests/slow.test.ts', 'slow > renders', 10, 3],
    ])
    expect(report.durationRegressions[0]!.beforeP50Ms).toBe(205)
    expect(report.durationRegressions[0]!.afterP50Ms).toBe(811)
    expect(report.deadlineMisses).toEqual([{ file: 'tests/slow.test.ts', path: 'tests/slow.test.ts', deadlineMs: 500, finishedMs: 860 }])
  })

  test('the time to the first failure against the runner default order, the quarantine outcome, the stability', async () => {
    const report = await scenarioReport()
    // Measured: the hostile file finished first (60 + 5 ms). The runner's order puts the new file
    // (hostile, never seen) right after last run's failures: on 2 workers it finishes at 5 ms.
    expect(report.order).toMatchObject({ policy: 'auto', failedFiles: 3, workers: 2, measuredMs: 65 })
    expect(report.order.runnerDefaultMs).toBe(5)
    expect(report.quarantine).toEqual({ enabled: true, minConfidence: 0.9, quarantined: 1, blocking: 2, blockers: [], excused: false })
    expect(report.stability).not.toBeNull()
    expect(report.stability!.runs).toBe(RUNS)
    expect(report.stability!.kind).not.toBeNull()
    expect(report.stability!.drivers.failing[0]).toMatchObject({ file: 'tests/cart.test.ts', test: 'cart > totals', failedRuns: 4 })
    expect(report.stability!.drivers.slow[0]).toMatchObject({ file: 'tests/slow.test.ts' })
  })

  test('quarantine by globs: files outside them are not quarantined', async () => {
    const report = await scenarioReport({ quarantine: ['tests/net*.ts'] })
    expect(report.flakyFailures[0]!.quarantine).toEqual({ quarantined: false, reason: 'its file is not in the quarantine globs' })
    expect(report.quarantine.quarantined).toBe(0)
  })
})

describe('the job summary', () => {
  test('holds every section, with links to the lines on GitHub', async () => {
    const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abc1234def', GITHUB_WORKSPACE: '/w' }
    const report = await scenarioReport({ env })
    const markdown = renderMarkdown(report, { linkBase: sourceLinkBase(env) })
    expect(markdown.split('\n')[0]).toBe('## flakeline: ❌ 2 failures · ⚠️ 2 flaky tests · 🧊 1 quarantined · ✅ 4 passed')
    for (const heading of ['### ❌ New failures (1)', '### ❌ Still failing (1)', '### ⚠️ Flaky tests (2)', '### 🧊 Quarantine', '### ✅ Recovered (1)', '### ⏱️ Slowest files', '### 🐢 Duration regressions (2)', '### ⏰ Deadline misses (1)', '### 🧭 Order and time to first failure', '### 📈 Suite stability']) {
      expect(markdown).toContain(heading)
    }
    expect(markdown).toContain('| files | tests | passed | failed | new failures | passed on retry | skipped | todo |')
    expect(markdown).toContain('| 6 | 7 | 4 | 3 | 1 | 1 | 0 | 0 |')
    expect(markdown).toContain('[`invoice > adds tax`](https://github.com/acme/shop/blob/abc1234def/tests/invoice.test.ts#L9)')
    expect(markdown).toContain('`✓✓↻✓✓✗✓✓✓✓✓✗`')
    expect(markdown).toContain('✗ failed, **quarantined**')
    expect(markdown).toContain('↻ passed on retry (2 attempts)')
    expect(markdown).toContain('`passedOnRetry: passed on retry in 3 of 12 runs`')
    expect(markdown).toContain('1 failure quarantined (failures of tests with a `flaky` verdict from earlier runs, at least 90% sure; never a `failing` or `new` test). The run still fails: 2 failures are not quarantined.')
    expect(markdown).toMatch(/\| `slow > renders`<br>`tests\/slow\.test\.ts` \| 195 ms \/ 200 ms \| 791 ms \| ×4\.06 \| run 10 \(3 runs\) \|/)
    expect(markdown).toContain('Policy `auto` on 2 workers: the first failure showed')
    expect(markdown).toContain("the runner's default order (failed last time, new, then longest first) at 5 ms")
    expect(markdown).toMatch(/\*\*(stable|periodic|drifting|chaotic)\*\* over the last 12 runs: pass rate \*\*/)
    expect(markdown).toContain('Driven by: `cart > totals` in `tests/cart.test.ts` failed 4 of 12 runs')
  })

  test('a hostile test name stays inside its code span: one table row, no markup, no mention, bounded', async () => {
    const report = await scenarioReport()
    const markdown = renderMarkdown(report)
    const row = markdown.split('\n').find((line) => line.includes('evil'))!
    expect(row.startsWith('| ')).toBe(true)
    expect(row.length).toBeLessThan(1_000)
    // Every `|` inside a cell is escaped, so the row still has the table's 4 columns.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(4)
    expect(row).toContain('evil\\nname \\| with')
    // Backticks inside lengthen the fence: the whole name is one code span, so `<script>` and `@octocat` are text.
    expect(row).toMatch(/\| ``evil\\nname \\\| with `ticks` <script>alert\(1\)<\/script…y+ end``<br>/)
    expect(markdown).not.toMatch(/^::/m)
  })

  test('the hidden marker comes first for a pull-request comment; nothing to report is said in one line', async () => {
    const report = await scenarioReport()
    expect(renderMarkdown(report, { marker: 'flakeline-report' }).split('\n')[0]).toBe('<!-- flakeline-report -->')
    expect(renderMarkdown(report, { marker: 'matrix 2/4 --> <b>' }).split('\n')[0]).toBe('<!-- matrix-2-4------b- -->')
    const green: RunReport = { ...report, failures: [], flakyFailures: [], retried: [], recovered: [], fileErrors: [], durationRegressions: [], deadlineMisses: [], quarantine: { ...report.quarantine, enabled: false, quarantined: 0 } }
    const markdown = renderMarkdown(green)
    expect(markdown.split('\n')[0]).toBe('## flakeline: all green · ✅ 4 passed')
    expect(markdown).not.toContain('### ❌')
    expect(markdown).not.toContain('### 🧊')
  })
})

describe('annotations from the report', () => {
  test('errors for real failures (new first), warnings for flaky (quarantined said so), notices for the deadline and the recovered test', async () => {
    const report = await scenarioReport()
    const commands = parseWorkflowCommands(capAnnotations(annotationsOf(report, { annotateFailures: true })).shown.map(workflowCommand).join('\n'))
    expect(commands.map((command) => [command.command, command.properties.file, command.properties.line, command.properties.title!.slice(0, 40)])).toEqual([
      ['error', 'tests/hostile.test.ts', undefined, expect.stringMatching(/^New failure: evil\\nname \| with `ticks`/)],
      ['error', 'tests/invoice.test.ts', '9', 'Failed: invoice > adds tax'],
      ['warning', 'tests/cache.test.ts', '3', 'Quarantined, failed: cache > warms'],
      ['warning', 'tests/net.test.ts', '5', 'Flaky: net > reconnects'],
      ['notice', 'tests/slow.test.ts', '1', 'Deadline missed: tests/slow.test.ts'],
      ['notice', 'tests/cart.test.ts', '14', 'Recovered: cart > totals'],
    ])
    expect(commands[1]!.message).toContain('AssertionError: expected 0.30000000000000004 to be 0.3\n    at tests/invoice.test.ts:10:7')
    expect(commands[1]!.message).toContain('flakeline: failing (new verdict): failed the last 2 runs with the same message')
    expect(commands[1]!.message).toContain('not quarantined: failing: a real failure is never quarantined')
    expect(commands[2]!.message).toMatch(/^quarantined: this failure does not fail the run \(flakeline run\)\nflakeline: flaky 95%: /)
    expect(commands[3]!.message).toContain('passed on retry (2 attempts)')
    expect(commands[3]!.message).toContain('outcomes, newest last: ✓✓✓↻✓✓✓↻✓✓✓↻')
    expect(commands[4]!.message).toBe('finished 860 ms after the run started; its deadline is 500 ms')
  })

  test('with annotateFailures off, failures are left to the runner', async () => {
    const report = await scenarioReport()
    expect(annotationsOf(report, { annotateFailures: false }).map((annotation) => annotation.level)).toEqual(['warning', 'warning', 'notice', 'notice'])
  })

  test('in a monorepo the files are relative to the repository root', async () => {
    const root = scratch.dir()
    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 200 })
    const { last, changes } = await scenario(store)
    const report = await buildRunReport(store, last, { options: { root: join(root, 'packages', 'shop'), policy: 'auto', quarantine: false, quarantineMinConfidence: 0.9 }, changes, env: { GITHUB_WORKSPACE: root }, stability: false })
    expect(report.repoPrefix).toBe('packages/shop/')
    expect(annotationsOf(report, { annotateFailures: true })[1]!.file).toBe('packages/shop/tests/invoice.test.ts')
    expect(report.stability).toBeNull()
    expect(report.quarantine.blockers).toEqual(['the runner did not report how the run ended (only the reporter, at the end of a run, knows)'])
  })
})

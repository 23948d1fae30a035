import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { writeCiOutputs } from '../../../src/ci/ci-outputs.js'
import { LAST_REPORT_FILE, loadLastReport } from '../../../src/ci/report-file.js'
import { OUTCOME_ENV, readOutcomes } from '../../../src/ci/run-outcome.js'
import { publishRunnerFacts, vitestFacts } from '../../../src/ci/runner-facts.js'
import type { ResolvedOptions } from '../../../src/config/load-options.js'
import { DEFAULT_OPTIONS } from '../../../src/config/options.js'
import { Notices } from '../../../src/core/notices.js'
import { ErrorCodes } from '../../../src/errors.js'
import { cli } from '../core/_cli.js'
import { useScratch } from '../core/_fixtures.js'
import { parseWorkflowCommands } from './_parse-commands.js'
import { packageRoot, scenario } from './_store.js'

const scratch = useScratch()

async function setup(overrides: Partial<ResolvedOptions> = {}) {
  const root = packageRoot(scratch.dir())
  const dir = join(root, '.flakeline')
  const store = scratch.open(dir, { historyLimit: 200 })
  const { last, changes } = await scenario(store)
  const options: ResolvedOptions = { ...DEFAULT_OPTIONS, dir, root, configFile: null, ...overrides }
  const said: string[] = []
  const notices = new Notices({ sink: (line) => said.push(line) })
  let written = ''
  const write = (text: string) => void (written += text)
  return { root, dir, store, last, changes, options, notices, said, write, written: () => written }
}

describe('the CI outputs at the end of a run', () => {
  test('on GitHub: annotations on the stream, the summary appended, the report kept for flakeline report', async () => {
    const s = await setup({ quarantine: true })
    const summary = join(s.root, 'summary.md')
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }
    publishRunnerFacts(s.root, vitestFacts({}, [], 'failed'))
    await writeCiOutputs(s.store, s.last, { options: s.options, notices: s.notices, changes: s.changes, env, write: s.write })
    await writeCiOutputs(s.store, s.last, { options: s.options, notices: s.notices, changes: s.changes, env, write: s.write })
    const commands = parseWorkflowCommands(s.written())
    expect(commands.map((command) => command.command)).toEqual(['error', 'error', 'warning', 'warning', 'notice', 'notice', 'error', 'error', 'warning', 'warning', 'notice', 'notice'])
    const text = readFileSync(summary, 'utf8')
    expect(text.match(/^## flakeline: /gm)).toHaveLength(2)
    expect(text).toContain('### 📈 Suite stability')
    expect(s.said).toEqual(Array(2).fill('flakeline: quarantined: cache > warms (tests/cache.test.ts, known flaky (95%)) failed; the runner still fails the run unless it runs under `flakeline run`'))
    expect(loadLastReport(s.dir, s.last.id)?.flakyFailures[0]?.test).toBe('cache > warms')
    // flakeline report right after says what the summary said: the kept report, with the run's changes.
    const markdown = await cli(['report'], s.root)
    expect(markdown.code, markdown.stderr).toBe(0)
    expect(markdown.stdout.split('\n')[0]).toBe('<!-- flakeline-report -->')
    expect(markdown.stdout).toContain('**flaky** 97% (new)')
    expect(markdown.stdout).toContain('🧊 1 quarantined')
  })

  test('the runner annotating failures itself leaves them to it; ci "none" writes nothing', async () => {
    const s = await setup()
    publishRunnerFacts(s.root, { ...vitestFacts({}, [], 'failed'), runnerAnnotatesFailures: true })
    await writeCiOutputs(s.store, s.last, { options: s.options, notices: s.notices, changes: s.changes, env: { GITHUB_ACTIONS: 'true' }, write: s.write })
    expect(parseWorkflowCommands(s.written()).map((command) => command.command)).toEqual(['warning', 'warning', 'notice', 'notice'])
    const quiet = await setup({ ci: 'none' })
    await writeCiOutputs(quiet.store, quiet.last, { options: quiet.options, notices: quiet.notices, changes: quiet.changes, env: { GITHUB_ACTIONS: 'true' }, write: quiet.write })
    expect(quiet.written()).toBe('')
  })

  test('under flakeline run: the run outcome for the wrapper, blockers from the runner facts', async () => {
    const s = await setup({ quarantine: true })
    const file = join(s.root, 'outcome.ndjson')
    publishRunnerFacts(s.root, vitestFacts({ coverage: { enabled: true, thresholds: { lines: 90 } } }, [], 'failed'))
    await writeCiOutputs(s.store, s.last, { options: s.options, notices: s.notices, changes: s.changes, env: { [OUTCOME_ENV]: file }, write: s.write })
    expect(s.written()).toBe('')
    const [outcome] = readOutcomes(file)!
    expect(outcome).toMatchObject({ run: s.last.id, runner: 'vitest', failureExitCode: 1, quarantineEnabled: true, blockingCount: 2 })
    expect(outcome!.quarantined).toEqual([{ file: 'tests/cache.test.ts', test: 'cache > warms', reason: 'known flaky (95%)' }])
    expect(outcome!.blockers).toEqual(['coverage thresholds are configured: vitest checks them after the reporters and fails the run with the same exit code, so flakeline cannot tell the two apart'])
    expect(s.said[0]).toContain('flakeline run decides the exit code')
  })

  test('never throws: a summary that cannot be written is one FLAKELINE_E_CI_OUTPUT warning', async () => {
    const s = await setup()
    const notAFile = join(s.root, 'a-directory')
    mkdirSync(notAFile)
    const notices = new Notices({ sink: (line) => s.said.push(line) })
    await expect(writeCiOutputs(s.store, s.last, { options: s.options, notices, changes: s.changes, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: notAFile }, write: s.write })).resolves.toBeUndefined()
    expect(notices.lastError?.code).toBe(ErrorCodes.CI_OUTPUT)
    expect(s.said.filter((line) => line.includes('warning'))).toEqual([expect.stringMatching(/^flakeline: warning FLAKELINE_E_CI_OUTPUT: cannot write the CI outputs \(annotations, job summary, run outcome\); the run is unaffected: /)])
  })

  test('off GitHub, without quarantine or the wrapper: nothing is computed or written', async () => {
    const s = await setup()
    await writeCiOutputs(s.store, s.last, { options: s.options, notices: s.notices, changes: s.changes, env: {}, write: s.write })
    expect([s.written(), s.said, existsSync(join(s.dir, LAST_REPORT_FILE))]).toEqual(['', [], false])
  })
})

describe('flakeline report', () => {
  test('made from the store when no report was kept: json, markdown to a file, junit; unknown run: exit 4', async () => {
    const s = await setup()
    await s.store.close()
    const json = await cli(['report', '--format', 'json'], s.root)
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report).toMatchObject({ format: 'flakeline-run-report', version: 1, run: { id: 'run-12' } })
    // Made after the fact, the report has the stored verdicts only and cannot vouch for the exit code.
    expect(report.quarantine.blockers[0]).toBe('the runner did not report how the run ended (only the reporter, at the end of a run, knows)')
    const out = await cli(['report', '--out', 'reports/comment.md', '--marker', 'shard-2'], s.root)
    expect(out).toEqual({ code: 0, stdout: '', stderr: `flakeline: markdown report of run run-12 written to ${join(s.root, 'reports', 'comment.md')}\n` })
    expect(readFileSync(join(s.root, 'reports', 'comment.md'), 'utf8').split('\n')[0]).toBe('<!-- shard-2 -->')
    const junit = await cli(['report', '--format', 'junit', '--run', 'run-3'], s.root)
    expect(junit.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="flakeline vitest run run-3"/)
    expect(await cli(['report', '--run', 'nope'], s.root)).toMatchObject({ code: 4, stderr: expect.stringContaining('FLAKELINE_E_NOT_FOUND: no run "nope"') })
    expect(await cli(['report', '--format', 'html'], s.root)).toMatchObject({ code: 2, stderr: expect.stringContaining('--format must be markdown, json or junit') })
  })
})

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { runnerDir } from '../../scripts/test-installs.mjs'
import { parseWorkflowCommands, type ParsedCommand } from '../unit/ci/_parse-commands.js'
import { REPO, createProject, removeProjects, runCliProcess, runRunner, type RunResult, type RunnerInstall } from './harness.js'

// GitHub's side of a run, on the real runners: annotations parsed back from what the reporter
// printed, the job summary it appended, and quarantine through `flakeline run` with the runners' own
// exit codes. The project is the shared suite (a file that always fails, a test that passes on retry),
// the deadline fixture (tests/slow.test.js must finish within 1 ms), a file of hostile test names and
// an upload test that passes on retry, or fails every attempt when UPLOAD_ALWAYS_FAILS is set.

const scratch = mkdtempSync(join(tmpdir(), 'flakeline-ci-e2e-'))
afterAll(() => {
  removeProjects()
  rmSync(scratch, { recursive: true, force: true })
})

const LONG = `long ${'x'.repeat(10_000)} end`
const HOSTILE_TESTS = `describe('hostile', () => {
  test('two\\nlines', () => { throw new Error('boom') })
  test('::error file=evil.js,line=1::injected %0A 100%', () => { throw new Error('boom') })
  test(${JSON.stringify(LONG)}, () => { throw new Error('boom') })
})
`
const UPLOAD_TEST = `let attempts = 0
retrying('uploader', 2, () => {
  test('resumes a dropped upload', () => {
    attempts += 1
    if (process.env.UPLOAD_ALWAYS_FAILS) throw new Error('connection reset on every attempt')
    expect(attempts).toBeGreaterThan(1)
  })
})
`

/** The runner's own command line (what `npx vitest run` / `npx jest --ci` runs), on one worker so the deadline is missed in order. */
function runnerCommand(install: RunnerInstall): string[] {
  const modules = join(runnerDir(install), 'node_modules')
  return install.startsWith('jest')
    ? [process.execPath, join(modules, 'jest', 'bin', 'jest.js'), '--ci', '--runInBand']
    : [process.execPath, join(modules, 'vitest', 'vitest.mjs'), 'run', '--maxWorkers=1', '--no-file-parallelism']
}

function annotations(result: RunResult): ParsedCommand[] {
  return parseWorkflowCommands(`${result.stdout}\n${result.stderr}`).filter((command) => ['error', 'warning', 'notice'].includes(command.command))
}

function summarise(commands: readonly ParsedCommand[]): string[][] {
  return commands.map((command) => [command.command, command.properties.file ?? '', command.properties.line ?? '', command.properties.title!.slice(0, 70)])
}

describe.each([
  ['vitest4', 'vitest'],
  ['jest30', 'jest-babel'],
] as const)('%s on GitHub Actions', (install, fixture) => {
  test('annotations with file and line, the job summary, and quarantine through flakeline run', { timeout: 600_000 }, async () => {
    const dir = createProject(install, fixture)
    cpSync(join(REPO, 'fixtures', 'deadline'), dir, { recursive: true })
    writeFileSync(join(dir, 'tests', 'hostile.test.js'), HOSTILE_TESTS)
    writeFileSync(join(dir, 'tests', 'upload.test.js'), UPLOAD_TEST)
    const summaryFile = (run: number) => join(scratch, `${install}-summary-${run}.md`)
    const github = (run: number): Record<string, string> => ({
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile(run),
      GITHUB_WORKSPACE: dir,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abcdef1234567',
      GITHUB_SERVER_URL: 'https://github.com',
      FLAKELINE_WORKERS: '1',
      FLAKELINE_GIT_CHANGES: '0',
    })

    // 1. The runner alone on GitHub: what the reporter annotates and summarises.
    const first = await runRunner(install, dir, install.startsWith('jest') ? ['--runInBand'] : ['--maxWorkers=1', '--no-file-parallelism'], github(1))
    expect(first.code).toBe(1)
    const found = annotations(first)
    expect(summarise(found.filter((command) => !command.properties.title!.startsWith('New failure: hostile')))).toEqual([
      ['error', 'tests/failing.test.js', '7', 'New failure: invoice rounding > adds tax to the net amount'],
      ['warning', 'tests/retry.test.js', '6', 'Flaky: network client > reconnects after a dropped connection'],
      ['warning', 'tests/upload.test.js', '3', 'Flaky: uploader > resumes a dropped upload'],
      ['notice', 'tests/slow.test.js', '1', 'Deadline missed: tests/slow.test.js'],
    ])
    const failing = found.find((command) => command.properties.file === 'tests/failing.test.js')!
    expect(failing.message).toMatch(/0\.30000000000000004/)
    expect(found.find((command) => command.properties.file === 'tests/retry.test.js')!.message).toMatch(/^passed on retry \(2 attempts\)/)
    // Hostile names: each is one annotation on tests/hostile.test.js with its line; the title is one
    // line, bounded, with the newline shown as \n; the message carries the name whole (the long one cut).
    const hostile = found.filter((command) => command.properties.file === 'tests/hostile.test.js')
    expect(hostile.map((command) => [command.command, command.properties.line])).toEqual([
      ['error', '2'],
      ['error', '3'],
      ['error', '4'],
    ])
    expect(hostile.map((command) => command.properties.title)).toEqual([
      'New failure: hostile > two\\nlines',
      'New failure: hostile > ::error file=evil.js,line=1::injected %0A 100%',
      expect.stringMatching(/^New failure: hostile > long x+…x+ end$/),
    ])
    expect(hostile[2]!.properties.title!.length).toBe(200)
    for (const command of hostile) expect(command.properties.title).not.toMatch(/[\r\n]/)
    // No line of the output that GitHub would read as a command comes from a test name.
    const commandLines = `${first.stdout}\n${first.stderr}`.split('\n').filter((line) => line.trim().startsWith('::'))
    expect(commandLines).toHaveLength(found.length)
    expect(commandLines.some((line) => line.startsWith('::error file=evil.js'))).toBe(false)

    const summary = readFileSync(summaryFile(1), 'utf8')
    expect(summary).toMatch(/^## flakeline: ❌ 4 failures · ⚠️ 2 flaky tests · ✅ \d+ passed\n/)
    for (const heading of ['### ❌ New failures (4)', '### ⚠️ Flaky tests (2)', '### ⏱️ Slowest files', '### ⏰ Deadline misses (1)', '### 🧭 Order and time to first failure', '### 📈 Suite stability']) expect(summary).toContain(heading)
    expect(summary).toContain('[`invoice rounding > adds tax to the net amount`](https://github.com/acme/shop/blob/abcdef1234567/tests/failing.test.js#L7)')
    expect(summary).toContain('| `tests/slow.test.js` | 1 ms |')
    expect(summary).toContain('Not classified yet: 1 run recorded, 10 needed')
    expect(summary).toContain('`hostile > two\\nlines`')

    // 2. Through flakeline run with quarantine on: a real failure keeps the runner's exit code.
    const quarantine = { FLAKELINE_QUARANTINE: '1', FLAKELINE_QUARANTINE_MIN_CONFIDENCE: '0.5' }
    const second = await runCliProcess(['run', '--', ...runnerCommand(install)], dir, { ...github(2), ...quarantine }, install)
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/flakeline: exit code 1 kept: 4 failures are not quarantined: /)
    expect(readFileSync(summaryFile(2), 'utf8')).toContain('### ❌ Still failing (4)')

    // 3. The known-flaky upload test now fails every attempt, and it is the only failure: the runner
    // exits 1, flakeline run 0, and the failure is still reported (terminal, annotation, summary).
    rmSync(join(dir, 'tests', 'failing.test.js'))
    rmSync(join(dir, 'tests', 'hostile.test.js'))
    const third = await runCliProcess(['run', '--', ...runnerCommand(install)], dir, { ...github(3), ...quarantine, UPLOAD_ALWAYS_FAILS: '1' }, install)
    expect(third.stderr).toMatch(/flakeline: quarantined: uploader > resumes a dropped upload \(tests\/upload\.test\.js, known flaky \(\d+%\)\) failed; flakeline run decides the exit code/)
    expect(third.stderr).toMatch(/flakeline: exit code 1 → 0: the only failures were 1 quarantined known-flaky test: uploader > resumes a dropped upload \(tests\/upload\.test\.js\): known flaky \(\d+%\)/)
    expect(third.code).toBe(0)
    expect(summarise(annotations(third)).filter((row) => row[0] !== 'notice')).toEqual([
      ['warning', 'tests/upload.test.js', '3', 'Quarantined, failed: uploader > resumes a dropped upload'],
      ['warning', 'tests/retry.test.js', '6', 'Flaky: network client > reconnects after a dropped connection'],
    ])
    const quarantinedSummary = readFileSync(summaryFile(3), 'utf8')
    expect(quarantinedSummary).toMatch(/^## flakeline: ⚠️ 2 flaky tests · 🧊 1 quarantined · ✅ \d+ passed\n/)
    expect(quarantinedSummary).toContain("The run's only failures are quarantined: through `flakeline run` it ends as a success.")

    // 4. The real failure back beside the quarantined one: non-zero again.
    cpSync(join(REPO, 'fixtures', 'suite', 'tests', 'failing.test.js'), join(dir, 'tests', 'failing.test.js'))
    const fourth = await runCliProcess(['run', '--', ...runnerCommand(install)], dir, { ...github(4), ...quarantine, UPLOAD_ALWAYS_FAILS: '1' }, install)
    expect(fourth.code).toBe(1)
    expect(fourth.stderr).toMatch(/flakeline: exit code 1 kept: \d failures? (is|are) not quarantined: invoice rounding > adds tax to the net amount \(tests\/failing\.test\.js\)/)

    // The report for the pull request says what the summary said, with the marker; JUnit reads back.
    const comment = await runCliProcess(['report', '--format', 'markdown'], dir, quarantine, install)
    expect(comment.stdout.split('\n')[0]).toBe('<!-- flakeline-report -->')
    expect(comment.stdout).toContain('`invoice rounding > adds tax to the net amount`')
    const junit = await runCliProcess(['report', '--format', 'junit', '--out', join(scratch, `${install}.xml`)], dir, {}, install)
    expect(junit.code).toBe(0)
    expect(readFileSync(join(scratch, `${install}.xml`), 'utf8')).toMatch(/<testcase name="network client &gt; reconnects after a dropped connection" classname="tests\/retry\.test\.js" file="tests\/retry\.test\.js" line="6" time="[\d.]+">\n {6}<flakyFailure /)
  })
})

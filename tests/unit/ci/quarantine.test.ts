import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { decideQuarantine, type QuarantinePolicy } from '../../../src/ci/quarantine.js'
import { exitDecision, OUTCOME_ENV, readOutcomes, type RunOutcome } from '../../../src/ci/run-outcome.js'
import { jestFacts, publishRunnerFacts, takeRunnerFacts, vitestFacts } from '../../../src/ci/runner-facts.js'
import { COMMAND_NOT_STARTED } from '../../../src/cli/commands/run.js'
import { cli } from '../core/_cli.js'
import { useScratch } from '../core/_fixtures.js'

const scratch = useScratch()
const ON: QuarantinePolicy = { quarantine: true, quarantineMinConfidence: 0.9 }

describe('which failures are quarantined', () => {
  const flaky = (confidence: number) => ({ verdict: 'flaky' as const, confidence })
  test.each([
    ['known flaky, sure enough', { path: 'tests/a.test.ts', verdict: flaky(0.95), flakyBefore: true }, ON, true, 'known flaky (95%)'],
    ['quarantine off', { path: 'tests/a.test.ts', verdict: flaky(0.95), flakyBefore: true }, { ...ON, quarantine: false }, false, 'quarantine is off'],
    ['failing is never quarantined', { path: 'tests/a.test.ts', verdict: { verdict: 'failing' as const, confidence: 0.99 }, flakyBefore: false }, ON, false, 'failing: a real failure is never quarantined'],
    ['new is never quarantined', { path: 'tests/a.test.ts', verdict: { verdict: 'new' as const, confidence: 1 }, flakyBefore: false }, ON, false, 'new: too little history to call it flaky'],
    ['no verdict at all', { path: 'tests/a.test.ts', verdict: undefined, flakyBefore: false }, ON, false, 'no verdict yet (new)'],
    ['stable', { path: 'tests/a.test.ts', verdict: { verdict: 'stable' as const, confidence: 0.9 }, flakyBefore: false }, ON, false, 'stable, not known flaky'],
    ['made flaky by this very failure', { path: 'tests/a.test.ts', verdict: flaky(0.99), flakyBefore: false }, ON, false, 'became flaky with this run; quarantine needs a verdict from earlier runs'],
    ['below the threshold', { path: 'tests/a.test.ts', verdict: flaky(0.7), flakyBefore: true }, ON, false, 'flaky at 70%, below quarantineMinConfidence 90%'],
    ['inside the globs', { path: 'tests/e2e/a.test.ts', verdict: flaky(0.95), flakyBefore: true }, { ...ON, quarantine: ['tests/e2e/**'] }, true, 'known flaky (95%)'],
    ['outside the globs', { path: 'tests/unit/a.test.ts', verdict: flaky(0.95), flakyBefore: true }, { ...ON, quarantine: ['tests/e2e/**'] }, false, 'its file is not in the quarantine globs'],
  ])('%s', (_, failed, policy, quarantined, reason) => {
    expect(decideQuarantine(failed, policy)).toEqual({ quarantined, reason })
  })
})

function outcome(overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    format: 'flakeline-run-outcome',
    version: 1,
    run: 'r1',
    runner: 'vitest',
    failureExitCode: 1,
    quarantineEnabled: true,
    quarantined: [{ file: 'tests/net.test.ts', test: 'net > reconnects', reason: 'known flaky (97%)' }],
    blocking: [],
    blockingCount: 0,
    blockers: [],
    ...overrides,
  }
}

describe("flakeline run's exit code", () => {
  test('only quarantined failures: 0, and it says which', () => {
    expect(exitDecision(1, [outcome()])).toEqual({ code: 0, lines: ['exit code 1 → 0: the only failures were 1 quarantined known-flaky test: net > reconnects (tests/net.test.ts): known flaky (97%)'] })
  })

  test.each([
    ['the runner passed', 0, [outcome()], 0, []],
    ['a real failure', 1, [outcome({ blocking: [{ file: 'tests/tax.test.ts', test: 'tax > adds', reason: 'failing: a real failure is never quarantined' }], blockingCount: 1 })], 1, ['exit code 1 kept: 1 failure is not quarantined: tax > adds (tests/tax.test.ts): failing: a real failure is never quarantined']],
    ['no outcome at all', 1, [], 1, ["exit code 1 kept: no run reported an outcome (is flakeline's reporter in the runner's config, and did the run reach its end?)"]],
    ['an unreadable outcome file', 1, null, 1, ['exit code 1 kept: the run outcome file was not written by flakeline (unreadable lines)']],
    ['quarantine off', 1, [outcome({ quarantineEnabled: false, quarantined: [] })], 1, ['exit code 1 kept: quarantine is off (set quarantine: true or FLAKELINE_QUARANTINE=1)']],
    ['coverage thresholds', 1, [outcome({ blockers: ['coverage thresholds are configured'] })], 1, ['exit code 1 kept: coverage thresholds are configured']],
    ['another exit code than the runner gives failed tests', 2, [outcome()], 2, ["exit code 2 kept: it is not the runner's test-failure exit code (1), so something else failed"]],
    ["Jest's testFailureExitCode", 3, [outcome({ runner: 'jest', failureExitCode: 3 })], 0, ['exit code 3 → 0: the only failures were 1 quarantined known-flaky test: net > reconnects (tests/net.test.ts): known flaky (97%)']],
    ['nothing quarantined yet the runner failed', 1, [outcome({ quarantined: [] })], 1, ['exit code 1 kept: no failure was quarantined, yet the runner failed']],
    ['one of two runs has a real failure', 1, [outcome(), outcome({ run: 'r2', blockingCount: 1, blocking: [{ file: 'tests/x.test.ts', test: null, reason: 'error outside any test' }] })], 1, ['exit code 1 kept: 1 failure is not quarantined: tests/x.test.ts: error outside any test']],
  ] as const)('%s', (_, code, outcomes, expected, lines) => {
    expect(exitDecision(code, outcomes as RunOutcome[] | null)).toEqual({ code: expected, lines })
  })

  test('the outcome file: one line per run; a line that is not an outcome makes it untrusted', () => {
    const dir = scratch.dir()
    const file = join(dir, 'outcome.ndjson')
    expect(readOutcomes(file)).toEqual([])
    writeFileSync(file, `${JSON.stringify(outcome())}\n${JSON.stringify(outcome({ run: 'r2' }))}\n`)
    expect(readOutcomes(file)!.map((entry) => entry.run)).toEqual(['r1', 'r2'])
    writeFileSync(file, `${JSON.stringify(outcome())}\n{"format":"other"}\n`)
    expect(readOutcomes(file)).toBeNull()
  })
})

describe('what each runner tells about its exit code', () => {
  test('Vitest: unhandled errors, cancellation, coverage thresholds, its own github-actions reporter', () => {
    expect(vitestFacts({}, [], 'failed')).toEqual({ runner: 'vitest', failureExitCode: 1, unhandledErrors: 0, snapshotFailure: false, coverageThresholds: false, bailed: false, runnerAnnotatesFailures: false })
    expect(vitestFacts({ bail: 1, coverage: { enabled: true, thresholds: { lines: 80 } } }, [new Error('x')], 'interrupted')).toMatchObject({ unhandledErrors: 1, coverageThresholds: true, bailed: true })
    expect(vitestFacts({}, [], 'interrupted').bailed).toBe(false)
    expect(vitestFacts({ coverage: { enabled: true, thresholds: { autoUpdate: true } } }, [], 'passed').coverageThresholds).toBe(false)
    expect(vitestFacts({ coverage: { enabled: false, thresholds: { lines: 80 } } }, [], 'passed').coverageThresholds).toBe(false)
  })

  test('Jest: testFailureExitCode, unchecked or removed snapshots, coverage thresholds, bail', () => {
    const base = { globalConfig: {}, results: { numFailedTests: 0 } }
    expect(jestFacts(base)).toMatchObject({ runner: 'jest', failureExitCode: 1, snapshotFailure: false, coverageThresholds: false, bailed: false })
    expect(jestFacts({ globalConfig: { testFailureExitCode: 3, collectCoverage: true, coverageThreshold: { global: { lines: 90 } }, bail: 1 }, results: { numFailedTests: 1, snapshot: { unchecked: 2, filesRemoved: 0, didUpdate: false } } })).toMatchObject({
      failureExitCode: 3,
      snapshotFailure: true,
      coverageThresholds: true,
      bailed: true,
    })
    expect(jestFacts({ globalConfig: {}, results: { numFailedTests: 1, snapshot: { unchecked: 2, didUpdate: true } } }).snapshotFailure).toBe(false)
  })

  test('published by the reporter, taken once by the recorder', () => {
    publishRunnerFacts('/some/root', vitestFacts({}, [], 'passed'))
    expect(takeRunnerFacts('/some/root')?.runner).toBe('vitest')
    expect(takeRunnerFacts('/some/root')).toBeUndefined()
  })
})

describe('flakeline run', () => {
  /** A stand-in for a runner: appends the outcome lines it is given to the file flakeline run names, then exits. */
  function fakeRunner(dir: string, lines: RunOutcome[], code: number): string[] {
    const script = join(dir, 'fake-runner.mjs')
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs'
const file = process.env.${OUTCOME_ENV}
for (const line of ${JSON.stringify(lines.map((line) => JSON.stringify(line)))}) appendFileSync(file, line + '\\n')
process.exit(${code})
`,
    )
    return [process.execPath, script]
  }

  test('exits 0 when the only failures were quarantined, with the runner\'s code otherwise', async () => {
    const dir = scratch.dir()
    const env = { PATH: process.env.PATH ?? '' }
    const quarantined = await cli(['run', '--', ...fakeRunner(dir, [outcome()], 1)], dir, env)
    expect(quarantined).toEqual({ code: 0, stdout: '', stderr: 'flakeline: exit code 1 → 0: the only failures were 1 quarantined known-flaky test: net > reconnects (tests/net.test.ts): known flaky (97%)\n' })
    const real = await cli(['run', '--', ...fakeRunner(dir, [outcome({ blockingCount: 1, blocking: [{ file: 'a', test: 'b', reason: 'failing' }] })], 1)], dir, env)
    expect(real.code).toBe(1)
    expect(real.stderr).toBe('flakeline: exit code 1 kept: 1 failure is not quarantined: b (a): failing\n')
    expect(await cli(['run', ...fakeRunner(dir, [], 0)], dir, env)).toEqual({ code: 0, stdout: '', stderr: '' })
    expect((await cli(['run', '--', ...fakeRunner(dir, [], 7)], dir, env)).code).toBe(7)
  })

  test('a command that cannot start: 127 and FLAKELINE_E_RUN_COMMAND; no command: usage', async () => {
    const dir = scratch.dir()
    const missing = await cli(['run', '--', 'flakeline-no-such-runner-here'], dir, { PATH: dir })
    expect(missing.code).toBe(COMMAND_NOT_STARTED)
    expect(missing.stderr).toMatch(/^flakeline: FLAKELINE_E_RUN_COMMAND: cannot run "flakeline-no-such-runner-here": command not found/)
    expect(await cli(['run'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('FLAKELINE_E_USAGE: no command to run') })
  })

  test('--help after -- belongs to the command', async () => {
    const dir = scratch.dir()
    const script = join(dir, 'help.mjs')
    writeFileSync(script, "process.exit(process.argv.includes('--help') ? 5 : 6)")
    expect((await cli(['run', '--', process.execPath, script, '--help'], dir, { PATH: process.env.PATH ?? '' })).code).toBe(5)
    expect((await cli(['run', '--help'], dir)).stdout).toMatch(/^usage: flakeline run -- <command>/)
  })
})

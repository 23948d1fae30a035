import { afterAll, describe, expect, test } from 'vitest'
import { createProject, flakelineLines, readStore, removeProjects, runRunner, type RunnerInstall, type StoredRun } from './harness.js'

afterAll(removeProjects)

/** What must be the same whichever runner ran the shared suite: identities, statuses, attempts. */
function comparable(stored: StoredRun) {
  return stored.files
    .map((file) => ({
      fileId: file.fileId,
      status: file.status,
      tests: file.tests
        .map((test) => ({ name: test.name, status: test.status, attempts: test.attempts, attemptOutcomes: test.attemptOutcomes }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.fileId.localeCompare(b.fileId))
}

const INSTALLS: ReadonlyArray<[RunnerInstall, 'vitest' | 'jest-babel', string]> = [
  ['jest29', 'jest-babel', '29.'],
  ['jest30', 'jest-babel', '30.'],
  ['vitest3', 'vitest', '3.'],
  ['vitest4', 'vitest', '4.'],
]

describe('the same suite on Jest 29 and 30 and Vitest 3 and 4', () => {
  const recorded = new Map<RunnerInstall, StoredRun>()

  test.each(INSTALLS)('%s records every run, file and test', async (install, fixture, major) => {
    const dir = createProject(install, fixture)
    const result = await runRunner(install, dir)
    // The suite has one failing test on purpose; the runner's own verdict must be untouched.
    expect(result.code).toBe(1)
    expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([])
    expect(flakelineLines(result).some((line) => line.includes('recorded run'))).toBe(true)
    const runs = await readStore(dir)
    expect(runs).toHaveLength(1)
    const { run, files } = runs[0]!
    expect(run.runner).toBe(install.startsWith('jest') ? 'jest' : 'vitest')
    expect(run.runnerVersion.startsWith(major)).toBe(true)
    expect(run).toMatchObject({ status: 'failed', files: 8, tests: 35, passed: 30, failed: 1, skipped: 3, todo: 1, flaky: 1 })
    expect(run.endedAt).toBeGreaterThanOrEqual(run.startedAt)
    expect(files).toHaveLength(8)

    const failing = files.find((file) => file.path === 'tests/failing.test.js')!
    const bug = failing.tests.find((test) => test.name === 'invoice rounding > adds tax to the net amount')!
    expect(bug.status).toBe('failed')
    expect(bug.failureMessage).toContain('0.3')
    expect(bug.location?.line).toBe(7)

    const retried = files.find((file) => file.path === 'tests/retry.test.js')!.tests.find((test) => test.name.endsWith('reconnects after a dropped connection'))!
    expect(retried).toMatchObject({ status: 'passed', attempts: 2, attemptOutcomes: ['failed', 'passed'] })
    expect(retried.retryErrors).toHaveLength(1)

    const skips = files.find((file) => file.path === 'tests/skips.test.js')!
    expect(skips.tests.map((test) => [test.name, test.status]).sort()).toEqual([
      ['feature flags > expires cached flags', 'todo'],
      ['feature flags > legacy flags > migrates v1 flags', 'skipped'],
      ['feature flags > legacy flags > migrates v2 flags', 'skipped'],
      ['feature flags > reads flags from the server', 'skipped'],
      ['feature flags > reads the default flag', 'passed'],
    ])
    const parameterised = files.find((file) => file.path === 'tests/math.test.js')!.tests.map((test) => test.name)
    expect(parameterised).toContain('math > add > add(1, 2) is 3')
    recorded.set(install, runs[0]!)
  })

  test('every runner produced the same records', () => {
    expect(recorded.size).toBe(INSTALLS.length)
    const [first, ...others] = Array.from(recorded.values()).map(comparable)
    for (const other of others) expect(other).toEqual(first)
  })
})

import { afterAll, describe, expect, test } from 'vitest'
import { createProject, removeProjects, runCliProcess, runRunner } from './harness.js'

afterAll(removeProjects)

describe('the flakeline command on a project the reporter recorded', () => {
  test('stats, history and doctor find the store from the project directory', async () => {
    const dir = createProject('vitest4', 'vitest')
    await runRunner('vitest4', dir)
    await runRunner('vitest4', dir)

    const stats = await runCliProcess(['stats', '--json'], dir)
    expect(stats.code).toBe(0)
    const { runs } = JSON.parse(stats.stdout) as { runs: Array<Record<string, unknown>> }
    expect(runs).toHaveLength(2)
    expect(runs[1]).toMatchObject({ runner: 'vitest', files: 8, tests: 35, passed: 30, failed: 1, skipped: 3, flaky: 1 })
    expect(typeof runs[0]!.id).toBe('string')
    expect(Date.parse(runs[0]!.startedAt as string)).toBeLessThanOrEqual(Date.parse(runs[1]!.startedAt as string))
    expect(runs[1]!.durationMs).toBeGreaterThan(0)

    const history = await runCliProcess(['history', 'failing.test.js'], dir)
    expect(history.code).toBe(0)
    expect(history.stdout).toContain('tests/failing.test.js  (2 runs, 3 tests)')
    expect(history.stdout).toContain('✗✗  invoice rounding > adds tax to the net amount')

    const doctor = await runCliProcess(['doctor'], dir)
    expect(doctor.code).toBe(0)
    expect(doctor.stdout).toContain('healthy')

    const missing = await runCliProcess(['history', 'no-such-test'], dir)
    expect(missing.code).toBe(4)
    expect(missing.stderr).toContain('FLAKELINE_E_NOT_FOUND')
  })
})

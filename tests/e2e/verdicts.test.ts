import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, flakelineLines, removeProjects, runCliProcess, runRunner } from './harness.js'

afterAll(removeProjects)

// The analysis loop on real runners: a project in git (every run on one clean commit) whose suite has
// a test that passes on retry every run (tests/retry.test.js), one that always fails
// (tests/failing.test.js), and one with seeded flakiness: it fails on 3 runs in 10 without retries,
// by a counter the test keeps outside git. After 15 runs flakeline must call the two flaky, the broken
// one failing, and order the failing file before the flaky ones.

const RUNS = 15

function seededFlaky(dir: string): void {
  writeFileSync(
    join(dir, 'tests', 'seeded.test.js'),
    `import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
// Both runners run from the project's directory (import.meta is not there under babel-jest).
const counter = join(process.cwd(), '.runs')
const run = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) + 1 : 1
writeFileSync(counter, String(run))
describe('seeded', () => {
  test('fails on some runs', () => {
    // Runs 3, 6, 10, 13, ...: about 3 in 10, scattered.
    expect((run * 7) % 10 < 3).toBe(false)
  })
})
`,
  )
  writeFileSync(join(dir, '.gitignore'), '.runs\nnode_modules\n')
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
  git('init', '-q')
  git('add', '.')
  git('commit', '-qm', 'suite')
}

interface VerdictJson {
  file: string
  test: string
  verdict: string
  confidence: number
  evidence: Array<{ signal: string; value: number; detail: string }>
}

describe.each([
  ['vitest4', 'vitest'],
  ['jest30', 'jest-babel'],
] as const)('%s: flaky verdicts after 15 runs', (install, fixture) => {
  test('the retried and the seeded flaky tests are flaky with evidence, the broken one failing, and the next order runs the failing file before the flaky ones', { timeout: 600_000 }, async () => {
    const dir = createProject(install, fixture)
    seededFlaky(dir)
    const said: string[] = []
    for (let run = 0; run < RUNS; run++) {
      const result = await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
      said.push(...flakelineLines(result))
    }
    expect(said.filter((line) => line.includes('warning'))).toEqual([])
    // The few lines at the end of a run name what changed, once.
    expect(said.filter((line) => line.startsWith('flakeline: newly flaky: ')).join('\n')).toContain('reconnects after a dropped connection')
    expect(said.some((line) => line.startsWith('flakeline: newly failing: ') && line.includes('adds tax to the net amount'))).toBe(true)

    const flaky = JSON.parse((await runCliProcess(['flaky', '--json'], dir)).stdout) as { tests: VerdictJson[]; clusters: unknown[] }
    const byTest = new Map(flaky.tests.map((verdict) => [verdict.test, verdict]))
    const retried = byTest.get('network client > reconnects after a dropped connection')!
    expect(retried).toMatchObject({ file: 'tests/retry.test.js', verdict: 'flaky' })
    expect(retried.evidence.map((evidence) => evidence.signal)).toContain('passedOnRetry')
    const seeded = byTest.get('seeded > fails on some runs')!
    expect(seeded).toMatchObject({ file: 'tests/seeded.test.js', verdict: 'flaky' })
    expect(seeded.confidence).toBeGreaterThan(0.5)
    expect(seeded.evidence.map((evidence) => evidence.signal)).toContain('mixedOnSameCode')
    expect(byTest.has('invoice rounding > adds tax to the net amount')).toBe(false)

    const all = JSON.parse((await runCliProcess(['flaky', '--all', '--json'], dir)).stdout) as { tests: VerdictJson[] }
    expect(all.tests.find((verdict) => verdict.test === 'invoice rounding > adds tax to the net amount')).toMatchObject({ file: 'tests/failing.test.js', verdict: 'failing' })

    const explained = await runCliProcess(['explain', 'fails on some runs'], dir)
    expect(explained.code).toBe(0)
    expect(explained.stdout).toContain('is flaky, with')
    expect(explained.stdout).toMatch(/mixedOnSameCode: /)

    const model = JSON.parse((await runCliProcess(['model', '--json'], dir)).stdout) as { signals: Array<{ signal: string; weight: number }>; brier: number; runs: number }
    expect(model.runs).toBe(RUNS)
    expect(model.signals.map((signal) => signal.signal)).toContain('passedOnRetry')
    expect(model.brier).toBeGreaterThanOrEqual(0)

    const plan = JSON.parse((await runCliProcess(['plan', '--json', '--workers', '1'], dir)).stdout) as { order: Array<{ path: string; reason: string }> }
    const at = (path: string) => plan.order.findIndex((file) => file.path === path)
    expect(at('tests/failing.test.js')).toBeLessThan(at('tests/retry.test.js'))
    expect(at('tests/failing.test.js')).toBeLessThan(at('tests/seeded.test.js'))
    expect(plan.order[at('tests/seeded.test.js')]!.reason).toMatch(/known flaky \(\d+%\): its failures do not count as evidence/)
  })
})

import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { FLAKELINE_VERSION } from '../../../src/version.js'
import { REPO_ROOT, useScratch } from './_fixtures.js'
import { COMMIT, T0, cli, cliProject, seedHistory } from './_cli.js'

const scratch = useScratch()
const iso = (ms: number) => new Date(ms).toISOString()
const HOUR = 3_600_000

async function seeded(): Promise<string> {
  const root = cliProject(scratch.dir())
  await seedHistory(scratch.open, join(root, '.flakeline'))
  return root
}

describe('flakeline stats', () => {
  test('--json: one summary per run, newest last', async () => {
    const root = await seeded()
    const { code, stdout, stderr } = await cli(['stats', '--json'], root)
    expect([code, stderr]).toEqual([0, ''])
    const { runs } = JSON.parse(stdout) as { runs: Array<Record<string, unknown>> }
    expect(runs.map((run) => run.id)).toEqual(['run-1', 'run-2', 'run-3'])
    expect(runs[0]).toEqual({
      id: 'run-1',
      seq: 1,
      runner: 'vitest',
      runnerVersion: '4.1.12',
      startedAt: iso(T0),
      endedAt: iso(T0 + 1_500),
      status: 'failed',
      commit: COMMIT.commit,
      dirty: false,
      branch: 'main',
      shard: '1/2',
      workers: 2,
      files: 2,
      tests: 4,
      passed: 2,
      failed: 1,
      skipped: 1,
      todo: 0,
      flaky: 1,
      durationMs: 1_500,
      deadlinesChecked: 0,
      deadlineMisses: [],
    })
    expect(runs.map((run) => [run.runner, run.status, run.files, run.tests, run.passed, run.failed, run.skipped, run.todo, run.flaky, run.dirty, run.shard])).toEqual([
      ['vitest', 'failed', 2, 4, 2, 1, 1, 0, 1, false, '1/2'],
      ['vitest', 'failed', 1, 2, 1, 1, 0, 0, 0, true, null],
      ['jest', 'passed', 2, 4, 3, 0, 0, 1, 1, false, null],
    ])
    expect(runs[2]).toMatchObject({ startedAt: iso(T0 + 2 * HOUR), commit: null, branch: null })
  })

  test('as a table for people', async () => {
    const root = await seeded()
    const { code, stdout } = await cli(['stats'], root)
    expect(code).toBe(0)
    const [tableText, stability] = stdout.trimEnd().split('\n\n')
    const lines = tableText!.split('\n')
    expect(lines).toHaveLength(4)
    expect(stability).toBe('suite stability: not classified yet: 3 runs recorded, 10 needed')
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['run', 'runner', 'started', 'status', 'files', 'tests', 'passed', 'failed', 'skipped', 'flaky', 'duration', 'commit', 'deadlines missed'])
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['run-1', 'vitest 4.1.12', '2026-11-20 10:00:00', 'failed', '2', '4', '2', '1', '1', '1', '1.5 s', 'aaaaaaaa', '—'])
    expect(lines[2]!.split(/\s{2,}/)[11]).toBe('aaaaaaaa+')
    expect(lines[3]!.split(/\s{2,}/)).toEqual(['run-3', 'jest 30.5.2', '2026-11-20 12:00:00', 'passed', '2', '4', '3', '0', '1', '1', '1.5 s', '—', '—'])
  })

  test('an empty store', async () => {
    const root = cliProject(scratch.dir())
    await scratch.open(join(root, '.flakeline'), { historyLimit: 10 }).close()
    expect(await cli(['stats', '--json'], root)).toEqual({ code: 0, stdout: '{\n  "runs": []\n}\n', stderr: '' })
    expect((await cli(['stats'], root)).stdout).toBe(`no runs recorded yet in ${join(root, '.flakeline')}\n`)
  })

  test('no store: exit 3 with FLAKELINE_E_STORE_OPEN', async () => {
    const root = cliProject(scratch.dir())
    expect(await cli(['stats'], root)).toEqual({
      code: 3,
      stdout: '',
      stderr: `flakeline: FLAKELINE_E_STORE_OPEN: no flakeline store at ${join(root, '.flakeline')} (a run with the flakeline reporter creates it)\n`,
    })
  })

  test('found from a subdirectory of the project, as the runners find it', async () => {
    const root = await seeded()
    mkdirSync(join(root, 'tests', 'deep'), { recursive: true })
    const { code, stdout } = await cli(['stats', '--json'], join(root, 'tests', 'deep'))
    expect([code, JSON.parse(stdout).runs.length]).toEqual([0, 3])
  })

  test('a bad FLAKELINE_* variable is a warning on stderr, not a failure', async () => {
    const root = await seeded()
    const { code, stderr } = await cli(['stats', '--json'], root, { FLAKELINE_HISTORY_LIMIT: 'abc' })
    expect(code).toBe(0)
    expect(stderr).toBe('flakeline: warning FLAKELINE_E_CONFIG: FLAKELINE_HISTORY_LIMIT must be an integer from 1 to 100000, got "abc"\n')
  })
})

describe('flakeline history', () => {
  const entry = (run: string, seq: number, startedAt: number, status: string, durationMs: number, attempts = 1) => ({ run, seq, startedAt: iso(startedAt), status, durationMs, attempts })

  test('<file> --json: the file, its runs and its tests', async () => {
    const root = await seeded()
    const { code, stdout, stderr } = await cli(['history', 'tests/io.test.ts', '--json'], root)
    expect([code, stderr]).toEqual([0, ''])
    expect(JSON.parse(stdout)).toEqual({
      files: [
        {
          fileId: 'tests/io.test.ts',
          project: '',
          path: 'tests/io.test.ts',
          runs: [entry('run-1', 1, T0 + 1, 'failed', 40), entry('run-3', 3, T0 + 2 * HOUR + 1, 'passed', 30.3)],
          tests: [
            { name: 'io > later', runs: [entry('run-1', 1, T0 + 1, 'skipped', 0, 0), entry('run-3', 3, T0 + 2 * HOUR + 1, 'todo', 0, 0)] },
            { name: 'io > reads', runs: [entry('run-1', 1, T0 + 1, 'failed', 4), entry('run-3', 3, T0 + 2 * HOUR + 1, 'passed', 4)] },
          ],
        },
      ],
      tests: [],
    })
  })

  test.each([['./tests/math.test.ts'], ['math.test.ts'], ['tests/math.test.ts']])('the file found as %s', async (query) => {
    const root = await seeded()
    const { code, stdout } = await cli(['history', query, '--json'], root)
    expect(code).toBe(0)
    expect(JSON.parse(stdout).files.map((file: { fileId: string }) => file.fileId)).toEqual(['tests/math.test.ts'])
  })

  test('an absolute path is taken relative to the package root', async () => {
    const root = await seeded()
    const { code, stdout } = await cli(['history', join(root, 'tests', 'math.test.ts'), '--json'], join(root, 'tests'))
    expect([code, JSON.parse(stdout).files.length]).toEqual([0, 1])
  })

  test('<file> as text: outcomes strip and tests', async () => {
    const root = await seeded()
    const { code, stdout } = await cli(['history', 'tests/math.test.ts'], root)
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    expect(lines.slice(0, 2)).toEqual(['tests/math.test.ts  (3 runs, 2 tests)', '  outcomes  ✓✗✓  (newest last)'])
    expect(stdout).toContain('    ✓✗↻  math > adds       2/3 passed, 1 on retry\n')
    expect(stdout).toContain('    ↻✓✓  math > subtracts  3/3 passed, 1 on retry\n')
  })

  test('<test name>: the test across runs, as text', async () => {
    const root = await seeded()
    const { code, stdout, stderr } = await cli(['history', 'math', '>', 'adds'], root)
    expect([code, stderr]).toEqual([0, ''])
    expect(stdout).toBe(
      [
        'tests/math.test.ts > math > adds',
        '  outcomes  ✓✗↻  (newest last; ↻ passed on retry)  2/3 passed, 1 on retry',
        '  run    status  attempts  duration',
        '  run-1  passed  1         4 ms',
        '  run-2  failed  1         4 ms',
        '  run-3  passed  2         4 ms',
        '',
      ].join('\n'),
    )
  })

  test('<test name> --json', async () => {
    const root = await seeded()
    const { stdout } = await cli(['history', 'io > reads', '--json'], root)
    expect(JSON.parse(stdout)).toEqual({
      files: [],
      tests: [{ fileId: 'tests/io.test.ts', name: 'io > reads', runs: [entry('run-1', 1, T0 + 1, 'failed', 4), entry('run-3', 3, T0 + 2 * HOUR + 1, 'passed', 4)] }],
    })
  })

  test('nothing matches: exit 4 with FLAKELINE_E_NOT_FOUND', async () => {
    const root = await seeded()
    expect(await cli(['history', 'no such thing'], root)).toEqual({
      code: 4,
      stdout: '',
      stderr: 'flakeline: FLAKELINE_E_NOT_FOUND: no file or test in the history matches "no such thing"\n',
    })
  })

  test('no query: exit 2 with FLAKELINE_E_USAGE', async () => {
    const root = await seeded()
    expect(await cli(['history', '--json'], root)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'flakeline: FLAKELINE_E_USAGE: name a test file or test\nusage: flakeline history <file-or-test> [--json] [--dir DIR]\n',
    })
  })
})

describe('usage and version', () => {
  test('a bad flag: exit 2 with FLAKELINE_E_USAGE and the usage line', async () => {
    const root = await seeded()
    const { code, stdout, stderr } = await cli(['stats', '--bogus'], root)
    expect([code, stdout]).toEqual([2, ''])
    expect(stderr.startsWith("flakeline: FLAKELINE_E_USAGE: Unknown option '--bogus'")).toBe(true)
    expect(stderr.endsWith('\nusage: flakeline stats [--json] [--dir DIR]\n')).toBe(true)
  })

  test('an unknown command: exit 2', async () => {
    expect(await cli(['frobnicate'], scratch.dir())).toEqual({
      code: 2,
      stdout: '',
      stderr: 'flakeline: FLAKELINE_E_USAGE: unknown command "frobnicate"; run flakeline --help\n',
    })
  })

  test('no command prints help and exits 2; help and --help exit 0', async () => {
    const dir = scratch.dir()
    const none = await cli([], dir)
    expect(none.code).toBe(2)
    expect(none.stdout.startsWith(`flakeline ${FLAKELINE_VERSION} — test history, ordering and flaky evidence for Jest and Vitest\n`)).toBe(true)
    for (const command of ['stats', 'history', 'doctor', 'compact', 'demo']) expect(none.stdout).toContain(`  flakeline ${command} `)
    expect(await cli(['help'], dir)).toEqual({ code: 0, stdout: none.stdout, stderr: '' })
    expect(await cli(['--help'], dir)).toEqual({ code: 0, stdout: none.stdout, stderr: '' })
    expect(await cli(['stats', '--help'], dir)).toEqual({ code: 0, stdout: 'usage: flakeline stats [--json] [--dir DIR]\none line per recorded run, newest last\n', stderr: '' })
  })

  test('--version prints the package.json version, and src/version.ts agrees', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(FLAKELINE_VERSION).toBe(version)
    expect(await cli(['--version'], scratch.dir())).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    expect((await cli(['-v'], scratch.dir())).stdout).toBe(`${version}\n`)
  })
})

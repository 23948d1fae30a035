import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { STORE_FILE } from '../../../src/store/history-store.js'
import { REPO_ROOT, newRun, putMeta, useScratch } from './_fixtures.js'
import { cli, cliProject, seedHistory } from './_cli.js'

const scratch = useScratch()

async function seeded(): Promise<string> {
  const root = cliProject(scratch.dir())
  await seedHistory(scratch.open, join(root, '.flakeline'))
  return root
}

/** The real `flakeline` bin in a child process, for stores that may crash the process that opens them. */
function bin(args: string[], cwd: string) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'flakeline.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH } })
}

describe('flakeline doctor', () => {
  test('a healthy store: exit 0', async () => {
    const root = await seeded()
    const dir = join(root, '.flakeline')
    const { code, stdout, stderr } = await cli(['doctor'], root)
    expect([code, stderr]).toEqual([0, ''])
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`flakeline doctor — store ${dir}`)
    expect(lines[1]).toBe('  ok    config   defaults (no flakeline.config file)')
    expect(lines[2]).toMatch(new RegExp(`^  ok    store    ${dir}/${STORE_FILE} \\(\\d+\\.\\d KiB\\)$`))
    expect(lines.slice(3)).toEqual([
      '  ok    schema   version 2 (this flakeline reads up to 2)',
      '  ok    records  every record decodes',
      '  ok    runs     every run finished',
      '        counts   3 runs, 2 files, 4 tests, 5 file records',
      'healthy',
    ])
  })

  test('--json', async () => {
    const root = await seeded()
    const { code, stdout } = await cli(['doctor', '--json'], root)
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({ healthy: true, dir: join(root, '.flakeline'), historyLimit: 200, schema: 2, runs: 3, files: 2, tests: 4, fileRecords: 5 })
    expect(report.sizeBytes).toBeGreaterThan(0)
    expect(report.checks.map((check: { name: string; ok: boolean }) => [check.name, check.ok])).toEqual([
      ['config', true],
      ['store', true],
      ['schema', true],
      ['records', true],
      ['runs', true],
    ])
  })

  test('a run that never finished is reported but is not a problem', async () => {
    const root = cliProject(scratch.dir())
    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 10 })
    await store.beginRun(newRun({ startedAt: Date.UTC(2020, 0, 1) }))
    await store.close()
    const { code, stdout } = await cli(['doctor'], root)
    expect(code).toBe(0)
    expect(stdout).toContain('  ok    runs     1 run from another machine never finished (over 6 hours old)\n')
  })

  test('no store: exit 1', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    expect(await cli(['doctor'], root)).toEqual({
      code: 1,
      stderr: '',
      stdout: [
        `flakeline doctor — store ${dir}`,
        '  ok    config   defaults (no flakeline.config file)',
        `  FAIL  store    no store at ${dir}: run the tests once with the flakeline reporter, or pass --dir`,
        'unhealthy',
        '',
      ].join('\n'),
    })
  })

  test('a corrupt store: exit 1, naming FLAKELINE_E_STORE_CORRUPT', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    mkdirSync(dir)
    await putMeta(dir, 'schema', 'one')
    const { code, stdout } = await cli(['doctor'], root)
    expect(code).toBe(1)
    expect(stdout).toContain(`  FAIL  store    FLAKELINE_E_STORE_CORRUPT: the flakeline store at ${dir} has an unreadable schema marker\n`)
    expect(stdout.endsWith('unhealthy\n')).toBe(true)
  })

  test('a store from a newer flakeline: exit 1, naming FLAKELINE_E_STORE_SCHEMA', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    mkdirSync(dir)
    await putMeta(dir, 'schema', 3)
    const { code, stdout } = await cli(['doctor', '--json'], root)
    expect(code).toBe(1)
    const report = JSON.parse(stdout)
    expect(report.healthy).toBe(false)
    expect(report.checks[1]).toEqual({
      name: 'store',
      ok: false,
      detail: `FLAKELINE_E_STORE_SCHEMA: the flakeline store at ${dir} has schema 3, newer than this flakeline understands (2); upgrade flakeline or use another dir`,
    })
  })

  test('a bad config file is unhealthy, the store still checked', async () => {
    const root = await seeded()
    writeFileSync(join(root, 'flakeline.config.json'), '{"historyLimit": -1}')
    const { code, stdout } = await cli(['doctor', '--json'], root)
    expect(code).toBe(1)
    const report = JSON.parse(stdout)
    expect(report.checks[0]).toEqual({
      name: 'config',
      ok: false,
      detail: `flakeline: warning FLAKELINE_E_CONFIG: ${join(root, 'flakeline.config.json')}: historyLimit must be an integer from 1 to 100000, got -1`,
    })
    expect(report.runs).toBe(3)
  })

  test('a file of random bytes, through the real bin: exit 1, not a crash', () => {
    const root = cliProject(scratch.dir())
    mkdirSync(join(root, '.flakeline'))
    writeFileSync(join(root, '.flakeline', STORE_FILE), Buffer.alloc(16_384, 'not lmdb '))
    const child = bin(['doctor'], root)
    expect([child.signal, child.status]).toEqual([null, 1])
    expect(child.stdout).toContain('  FAIL  store    FLAKELINE_E_STORE_CORRUPT: ')
  })

  // LMDB maps a truncated file and dies with SIGBUS; the pre-open length check must catch it first.
  test('a truncated store, through the real bin: exit 1, not a crash', async () => {
    const source = await seeded()
    const root = cliProject(scratch.dir())
    mkdirSync(join(root, '.flakeline'))
    writeFileSync(join(root, '.flakeline', STORE_FILE), readFileSync(join(source, '.flakeline', STORE_FILE)).subarray(0, 3 * 4096))
    const child = bin(['doctor'], root)
    expect([child.signal, child.status]).toEqual([null, 1])
    expect(child.stdout).toContain('FLAKELINE_E_STORE_CORRUPT')
  })
})

describe('where the CLI looks for the store', () => {
  async function twoStores(): Promise<string> {
    const root = cliProject(scratch.dir())
    for (const name of ['a', 'b']) {
      const store = scratch.open(join(root, `${name}-store`), { historyLimit: 10 })
      await store.beginRun(newRun({ id: `in-${name}` }))
      await store.close()
    }
    return root
  }
  const ids = (stdout: string) => JSON.parse(stdout).runs.map((run: { id: string }) => run.id)

  test('FLAKELINE_DIR, relative to the package root', async () => {
    const root = await twoStores()
    mkdirSync(join(root, 'sub'))
    const { code, stdout } = await cli(['stats', '--json'], join(root, 'sub'), { FLAKELINE_DIR: 'b-store' })
    expect([code, ids(stdout)]).toEqual([0, ['in-b']])
  })

  test('--dir beats FLAKELINE_DIR and is relative to the working directory', async () => {
    const root = await twoStores()
    const { code, stdout } = await cli(['stats', '--json', '--dir', 'a-store'], root, { FLAKELINE_DIR: join(root, 'b-store') })
    expect([code, ids(stdout)]).toEqual([0, ['in-a']])
    const doctor = await cli(['doctor', '--dir=a-store'], root, { FLAKELINE_DIR: 'b-store' })
    expect(doctor.stdout.split('\n')[0]).toBe(`flakeline doctor — store ${join(root, 'a-store')}`)
  })

  test('the config file dir is used when neither is given', async () => {
    const root = await twoStores()
    writeFileSync(join(root, 'flakeline.config.json'), '{"dir": "a-store"}')
    expect(ids((await cli(['stats', '--json'], root)).stdout)).toEqual(['in-a'])
  })
})

describe('flakeline compact', () => {
  test('drops what fell out of the history limit', async () => {
    const root = await seeded()
    const { code, stdout } = await cli(['compact', '--json'], root, { FLAKELINE_HISTORY_LIMIT: '2' })
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ runsRemoved: 1, fileRecordsRemoved: 2, testsRemoved: 0 })
    expect(JSON.parse((await cli(['stats', '--json'], root)).stdout).runs.map((run: { id: string }) => run.id)).toEqual(['run-2', 'run-3'])
    const text = await cli(['compact'], root, { FLAKELINE_HISTORY_LIMIT: '2' })
    expect(text.stdout).toBe(`compacted ${join(root, '.flakeline')} to the last 2 runs: removed 0 runs, 0 file records, 0 tests no longer seen\n`)
  })

  test('no store: exit 3', async () => {
    const root = cliProject(scratch.dir())
    const { code, stderr } = await cli(['compact'], root)
    expect(code).toBe(3)
    expect(stderr.startsWith('flakeline: FLAKELINE_E_STORE_OPEN: no flakeline store at ')).toBe(true)
  })
})

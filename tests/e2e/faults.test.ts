import { spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { open } from 'lmdb'
import { afterAll, describe, expect, test } from 'vitest'
import { HubClient } from '../../src/transport/hub-client.js'
import { childEnv, createProject, flakelineLines, readStore, removeProjects, runCliProcess, runRunner } from './harness.js'
import { FrameCollector, startRunner, startServe } from './_streaming.js'

afterAll(removeProjects)

// Real faults against real runners: flakeline must never change the run's exit code or output
// beyond one coded warning per problem, and never lose what it had recorded.

/** Whether this machine lets a test make a private mount namespace (root, Linux, unshare present). */
const canMount = spawnSync('unshare', ['-m', 'true']).status === 0

/** Runs `command` inside a private mount namespace where `mounts` (shell lines) were run first. */
function inNamespace(mounts: string[], cwd: string, argv: string[], env: Record<string, string>): { code: number; output: string } {
  const script = [...mounts, `cd ${JSON.stringify(cwd)}`, `exec ${argv.map((arg) => JSON.stringify(arg)).join(' ')}`].join(' && ')
  const result = spawnSync('unshare', ['-m', 'sh', '-c', script], { env: childEnv(env), encoding: 'utf8', timeout: 120_000 })
  return { code: result.status ?? -1, output: `${result.stdout}\n${result.stderr}` }
}

function runnerArgv(install: 'vitest4' | 'jest30', dir: string, files: string[]): string[] {
  const modules = join(dir, '..', '..', 'node_modules')
  return install === 'jest30' ? [process.execPath, join(modules, 'jest', 'bin', 'jest.js'), '--ci', ...files] : [process.execPath, join(modules, 'vitest', 'vitest.mjs'), 'run', ...files]
}

const RUNNERS = [
  ['vitest4', 'vitest'],
  ['jest30', 'jest-babel'],
] as const

describe.each(RUNNERS)('%s', (install, fixture) => {
  test.skipIf(!canMount)('a full disk (a 64 KB tmpfs as the store): the run passes as it would without flakeline, with one coded warning', () => {
    const dir = createProject(install, fixture)
    const small = join(dir, 'small')
    mkdirSync(small)
    const without = inNamespace([], dir, runnerArgv(install, dir, ['tests/math.test.js']), { FLAKELINE_ENABLED: '0' })
    const full = inNamespace([`mount -t tmpfs -o size=64k tmpfs ${JSON.stringify(small)}`], dir, runnerArgv(install, dir, ['tests/math.test.js']), { FLAKELINE_DIR: join(small, 'store') })
    expect(full.code).toBe(without.code)
    expect(full.code).toBe(0)
    expect(full.output).not.toMatch(/Unhandled Rejection|Commit failed|Write error|MDB_/)
    const warnings = full.output.split('\n').filter((line) => line.includes('flakeline: warning'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('FLAKELINE_E_STORE_FULL')
  })

  test.skipIf(!canMount)('a read-only store still orders the run, and says once that it cannot record', async () => {
    const dir = createProject(install, fixture)
    await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    const store = join(dir, '.flakeline')
    const result = inNamespace([`mount --bind ${JSON.stringify(store)} ${JSON.stringify(store)}`, `mount -o remount,ro,bind ${JSON.stringify(store)}`], dir, runnerArgv(install, dir, []), {
      FLAKELINE_GIT_CHANGES: '0',
    })
    expect(result.code).toBe(1) // the fixture's failing test, as without flakeline
    const lines = result.output.split('\n').filter((line) => line.startsWith('flakeline:'))
    expect(lines.filter((line) => line.includes('warning'))).toEqual([expect.stringContaining('FLAKELINE_E_STORE_OPEN: the flakeline store at')])
    expect(lines.join('\n')).toContain('is read-only')
    // Ordered from history: no "no history yet" and no fallback to the default order.
    expect(lines.join('\n')).not.toMatch(/no history yet|default order/)
    expect(await readStore(dir)).toHaveLength(1)
  })

  test('killed mid-run (SIGKILL): the next run goes on, the killed run reads as incomplete with the files it recorded', async () => {
    const dir = createProject(install, fixture)
    writeFileSync(join(dir, 'tests', 'zz-hold.test.js'), `test('holds the run open', async () => { await new Promise((resolve) => setTimeout(resolve, 60_000)) }, 120_000)\n`)
    const running = startRunner(install, dir, { FLAKELINE_GIT_CHANGES: '0' }, install === 'jest30' ? ['--runInBand'] : ['--maxWorkers=1'])
    // Kill once some files are recorded (the store holds a running run with files).
    for (let waited = 0; waited < 60_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      const runs = await readStore(dir).catch(() => [])
      if (runs[0] && runs[0].files.length >= 3) break
    }
    running.child.kill('SIGKILL')
    await running.done
    const stats = JSON.parse((await runCliProcess(['stats', '--json'], dir)).stdout) as { runs: Array<{ status: string; files: number }> }
    expect(stats.runs).toHaveLength(1)
    expect(stats.runs[0]!.status).toBe('incomplete')
    expect(stats.runs[0]!.files).toBeGreaterThanOrEqual(3)
    const doctor = await runCliProcess(['doctor'], dir)
    expect(doctor.code).toBe(0)
    expect(doctor.stdout).toMatch(/1 run incomplete: the process recording it ended first/)
    const next = await runRunner(install, dir, ['tests/math.test.js'], { FLAKELINE_GIT_CHANGES: '0' })
    expect(next.code).toBe(0)
    expect(flakelineLines(next).filter((line) => line.includes('warning'))).toEqual([])
    expect((await readStore(dir)).map(({ run }) => run.status)).toEqual(['incomplete', 'passed'])
  })

  test('an analysis that overruns its time: one coded warning, the previous verdicts stay, the exit code is the runner\'s', async () => {
    const dir = createProject(install, fixture)
    await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    const before = JSON.parse((await runCliProcess(['flaky', '--all', '--json'], dir)).stdout) as { tests: unknown[] }
    const result = await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0', FLAKELINE_ANALYSIS_TIMEOUT: '1' })
    expect(result.code).toBe(1)
    expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([expect.stringContaining('FLAKELINE_E_ANALYSIS_TIMEOUT')])
    const after = JSON.parse((await runCliProcess(['flaky', '--all', '--json'], dir)).stdout) as { tests: unknown[] }
    expect(after).toEqual(before)
  })
})

describe.each(RUNNERS)('%s with damaged data pages', (install, fixture) => {
  test('random bytes at 12 seeded offsets past the header: the runner never aborts, its exit code is what it is without flakeline, one warning at most; damaged page structure is always caught', async () => {
    const dir = createProject(install, fixture)
    for (let run = 0; run < 3; run++) await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    const without = await runRunner(install, dir, [], { FLAKELINE_ENABLED: '0' })
    const used = join(dir, 'used-store')
    cpSync(join(dir, '.flakeline'), used, { recursive: true })
    // LMDB's own compacted copy holds live pages only. In the store as runs leave it, much of the data
    // file is free pages, which nothing reads until LMDB rewrites them whole: damage there changes
    // nothing (on one machine none of 12 random offsets landed in a live page).
    const compacted = join(dir, 'compacted-store')
    mkdirSync(compacted)
    const source = open({ path: join(used, 'history.mdb'), readOnly: true, maxDbs: 12 })
    const { pageSize } = source.getStats() as { pageSize: number }
    await source.backup(join(compacted, 'history.mdb'), true)
    await source.close()
    let seed = install === 'jest30' ? 30 : 4
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let trial = 0; trial < 12; trial++) {
      // Even trials: anywhere past both meta pages (the header check catches those) of the store as
      // used. Odd trials: the start of a live page of the compacted copy that has a header (its header and
      // node offsets, which LMDB reads whenever it reads the page), which the check must always catch.
      const structural = trial % 2 === 1
      const good = structural ? compacted : used
      const data = readFileSync(join(good, 'history.mdb'))
      const pages = data.length / pageSize
      // Pages that carry a header start with their own number; the rest continue a large value.
      const headed = Array.from({ length: pages - 2 }, (_, i) => i + 2).filter((pgno) => data.readUInt32LE(pgno * pageSize) === pgno && data.readUInt32LE(pgno * pageSize + 4) === 0)
      const at = structural ? headed[Math.floor(random() * headed.length)]! * pageSize : 2 * pageSize + Math.floor(random() * (data.length - 2 * pageSize - 256))
      const damaged = Buffer.from(data)
      for (let i = 0; i < 256; i++) damaged[at + i] = Math.floor(random() * 256)
      const store = join(dir, `damaged-${trial}`)
      cpSync(good, store, { recursive: true })
      writeFileSync(join(store, 'history.mdb'), damaged)
      const result = await runRunner(install, dir, [], { FLAKELINE_DIR: store, FLAKELINE_GIT_CHANGES: '0' })
      const what = `trial ${trial} (${structural ? `page ${at / pageSize} of ${pages}, compacted` : `bytes at ${at} of ${data.length}`})`
      expect(result.code, `${what}: ${result.stderr.slice(-800)}`).toBe(without.code)
      // LMDB's own words (mdb.c assertions, MDB_* codes, missing pages) never reach the run's output.
      const raw = `${result.stdout}${result.stderr}`.match(/.*(?:mdb\.c|Assertion '|MDB_[A-Z]|page \d+ not found|Unhandled Rejection).*/)
      expect(raw?.[0], what).toBeUndefined()
      const warnings = flakelineLines(result).filter((line) => line.includes('warning'))
      expect(warnings.length, `${what}: ${warnings.join('\n')}`).toBeLessThanOrEqual(1)
      if (structural) expect(warnings, what).toEqual([expect.stringContaining('FLAKELINE_E_STORE_CORRUPT')])
      const doctor = await runCliProcess(['doctor', '--json', '--dir', store], dir)
      expect(structural ? [1] : [0, 1], `doctor on ${what}: ${doctor.stderr}`).toContain(doctor.code)
    }
  })
})

describe.each(RUNNERS)('%s with a truncated store and concurrent writers', (install, fixture) => {
  test('a store cut to half its length: the exit code is the runner\'s own, one coded warning, and doctor --repair starts over', async () => {
    const dir = createProject(install, fixture)
    await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    const without = await runRunner(install, dir, [], { FLAKELINE_ENABLED: '0' })
    const file = join(dir, '.flakeline', 'history.mdb')
    const data = readFileSync(file)
    writeFileSync(file, data.subarray(0, Math.floor(data.length / 2)))
    const result = await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    expect(result.code).toBe(without.code)
    const warnings = flakelineLines(result).filter((line) => line.includes('warning'))
    expect(warnings).toEqual([expect.stringContaining('FLAKELINE_E_STORE_CORRUPT')])
    expect((await runCliProcess(['doctor'], dir)).code).toBe(1)
    const repair = await runCliProcess(['doctor', '--repair'], dir)
    expect(repair.code, repair.stdout).toBe(0)
    const next = await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    expect(next.code).toBe(without.code)
    expect(flakelineLines(next).filter((line) => line.includes('warning'))).toEqual([])
  })

  test('a sound store restored from a cache (the same bytes, another file): checked once, then used without a warning', async () => {
    const dir = createProject(install, fixture)
    await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    const file = join(dir, '.flakeline', 'history.mdb')
    // A cache restore writes a new file: another inode and modification time.
    const bytes = readFileSync(file)
    rmSync(file)
    writeFileSync(file, bytes)
    const result = await runRunner(install, dir, [], { FLAKELINE_GIT_CHANGES: '0' })
    expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([])
    expect(flakelineLines(result).join('\n')).not.toMatch(/no history yet|default order/)
    expect((await readStore(dir)).map(({ run }) => run.status)).toHaveLength(2)
  })

  test.each([2, 4])('%i runs at once on one store: every run recorded whole, no warning, the store healthy', async (count) => {
    const projects = Array.from({ length: count }, () => createProject(install, fixture))
    const store = join(projects[0]!, 'shared-store')
    const without = await runRunner(install, projects[0]!, [], { FLAKELINE_ENABLED: '0' })
    const env = { FLAKELINE_DIR: store, FLAKELINE_GIT_CHANGES: '0' }
    const results = await Promise.all(projects.map((dir) => startRunner(install, dir, env, ['--maxWorkers=1']).done))
    for (const result of results) {
      expect(result.code, result.stderr.slice(-800)).toBe(without.code)
      expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([])
    }
    const runs = await readStore(projects[0]!, store)
    expect(runs).toHaveLength(count)
    const files = readdirSync(join(projects[0]!, 'tests')).filter((name) => /\.test\.[jt]sx?$/.test(name)).length
    for (const { run, files: recorded } of runs) {
      expect(run.status).toBe(without.code === 0 ? 'passed' : 'failed')
      expect(recorded.length).toBe(files)
    }
    const doctor = await runCliProcess(['doctor', '--dir', store], projects[0]!)
    expect(doctor.code, doctor.stdout).toBe(0)
  })
})

describe('SIGKILL in the middle of store writes, 50 times', () => {
  test('after every kill the store opens, every record decodes, and the killed run reads as incomplete', async () => {
    const dir = createProject('vitest4', 'vitest')
    const store = join(dir, 'killed-store')
    const writer = join(dir, 'writer.mjs')
    // A process writing runs as the recorder does, batch after batch, until it is killed.
    writeFileSync(
      writer,
      `import { HistoryStore, SCHEMA_VERSION } from 'flakeline'
import { hostname } from 'node:os'
const store = HistoryStore.open(process.argv[2], { historyLimit: 20 })
let said = false
for (let r = 0; ; r++) {
  const run = await store.beginRun({ id: 'w' + process.pid + '-' + r, runner: 'vitest', runnerVersion: '4', flakelineVersion: '0', startedAt: Date.now(), endedAt: null, code: { commit: null, dirty: false, branch: null, source: 'none' }, shard: null, workers: 1, status: 'running', files: 0, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0, durationMs: 0, owner: { host: hostname(), pid: process.pid, startedAt: Math.round(Date.now() - process.uptime() * 1000) } })
  if (!said) {
    said = true
    process.stdout.write('writing\\n')
  }
  for (let b = 0; b < 20; b++) {
    await store.recordFiles(Array.from({ length: 8 }, (_, f) => ({ fileId: 'tests/f' + f + '.test.js', project: '', path: 'tests/f' + f + '.test.js', runSeq: run.seq, status: 'passed', durationMs: 5 + f, startedAt: Date.now(), fileError: null, tests: Array.from({ length: 20 }, (_, t) => ({ name: 't' + t, status: 'passed', durationMs: 1, startedAt: null, attempts: 1, attemptOutcomes: ['passed'], retryErrors: [], failureMessage: null, location: null })) })))
  }
  void SCHEMA_VERSION
}
`,
    )
    let seed = 20261202
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let trial = 0; trial < 50; trial++) {
      const child = spawn(process.execPath, [writer, store], { cwd: dir, env: childEnv({}), stdio: ['ignore', 'pipe', 'inherit'] })
      // Once it is writing, kill it at a random moment of its writes.
      await new Promise((resolve) => child.stdout!.once('data', resolve))
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 300)))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.on('close', resolve))
      const doctor = await runCliProcess(['doctor', '--json', '--dir', store], dir)
      expect(doctor.stdout, `trial ${trial}: ${doctor.stderr}`).not.toBe('')
      const report = JSON.parse(doctor.stdout) as { healthy: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> }
      expect(report.healthy, `trial ${trial}: ${doctor.stdout}`).toBe(true)
      const runs = await readStore(dir, store)
      expect(runs.filter(({ run }) => run.status === 'running'), `trial ${trial}`).toEqual([])
    }
    const runs = await readStore(dir, store)
    expect(runs.length).toBeGreaterThan(0)
    expect(runs.every(({ run }) => run.status === 'incomplete')).toBe(true)
  })
})

describe('the hub killed mid-run and restarted', () => {
  test('the reporter carries on, and the restarted hub\'s subscribers get the rest of the run', async () => {
    const dir = createProject('vitest4', 'vitest')
    const gate = join(dir, 'gate')
    writeFileSync(
      join(dir, 'tests', 'zz-gate.test.js'),
      `import { existsSync } from 'node:fs'\ntest('waits for the hub to come back', async () => {\n  while (!existsSync(${JSON.stringify(gate)})) await new Promise((resolve) => setTimeout(resolve, 50))\n}, 120_000)\n`,
    )
    const port = await freePort()
    const token = 'a-fixed-token-of-32-characters!!'
    const serveArgs = ['--port', String(port), '--token', token, '--dir', join(dir, 'hub-store')]
    let serve = await startServe(serveArgs, dir)
    const hub = `ws://127.0.0.1:${port}/ws`
    const run = startRunner('vitest4', dir, { FLAKELINE_HUB: hub, FLAKELINE_TOKEN: token, FLAKELINE_GIT_CHANGES: '0' }, ['--maxWorkers=2'])
    // Let some results reach the first hub, then kill it without a goodbye.
    const early = new FrameCollector()
    const first = new HubClient({ url: hub, token, subscribe: ['run', 'results'], onFrame: early.push })
    await first.ready(20_000)
    await early.until((frames) => frames.some((frame) => frame[2] === 'test'), 'results before the kill')
    serve.child.kill('SIGKILL')
    await serve.done
    await first.close()
    serve = await startServe(serveArgs, dir)
    const late = new FrameCollector()
    const second = new HubClient({ url: hub, token, subscribe: ['run', 'results'], since: 'live', onFrame: late.push })
    await second.ready(20_000)
    writeFileSync(gate, '')
    const result = await run.done
    await late.until((frames) => frames.some((frame) => frame[2] === 'run.end'), 'the end of the run on the restarted hub')
    await second.close()
    await serve.stop()
    expect(result.code).toBe(1) // the fixture's failing test, as without a hub
    expect(late.of('test').some((frame) => (frame[3] as { name: string }).name === 'waits for the hub to come back')).toBe(true)
    // The hub's death costs at most one warning, and the run is recorded whole.
    expect(flakelineLines(result).filter((line) => line.includes('warning')).length).toBeLessThanOrEqual(1)
    const stored = await readStore(dir)
    expect(stored[0]!.run).toMatchObject({ files: 9, tests: 36 })
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

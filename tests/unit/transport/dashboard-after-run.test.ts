import { EventEmitter } from 'node:events'
import { request } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { countRange, passRateRange } from '../../../src/dashboard/chart-scale.js'
import { recordedLanes, recordedRunView, type RecordedRun } from '../../../src/dashboard/recorded-run.js'
import { ErrorCodes } from '../../../src/errors.js'
import type { RunStart } from '../../../src/core/run-recorder.js'
import { startRecording } from '../../../src/core/start-recording.js'
import { afterRunFacts, closedLine, keepDashboardUp, stayUpLine, untilStopped, type AfterRunFacts } from '../../../src/live/dashboard-after-run.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { fileResult, newRun, recordRun, testRecord } from '../core/_fixtures.js'
import { eventually, useHubs } from './_net.js'

// startRecording reads FLAKELINE_* from process.env; these tests pass options inline.
for (const name of Object.keys(process.env)) if (name.startsWith('FLAKELINE_')) delete process.env[name]

const hubs = useHubs()
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

function project(): string {
  const root = scratch('flakeline-after-run-')
  writeFileSync(join(root, 'package.json'), '{"name":"fixture"}')
  return root
}

/** An HTTP GET on 127.0.0.1; resolves with status and parsed JSON body. */
function getJson(port: number, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => (text += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const START: RunStart = { runner: 'vitest', runnerVersion: '4.1.12', shard: null, workers: 2 }
const FACTS: AfterRunFacts = { keepAlive: undefined, isTTY: true, ci: false, watching: false }

describe('whether the dashboard stays up after the run', () => {
  test.each([
    [{}, 'wait', 'an interactive terminal'],
    [{ isTTY: false }, 'close', 'not an interactive terminal'],
    [{ ci: true }, 'close', 'in CI'],
    [{ ci: true, isTTY: false }, 'close', 'in CI'],
    [{ keepAlive: true, isTTY: false, ci: true }, 'wait', 'serve.keepAlive is true'],
    [{ keepAlive: false }, 'close', 'serve.keepAlive is false'],
    [{ watching: true }, 'keep', 'the runner is watching'],
    [{ watching: true, keepAlive: true }, 'keep', 'the runner is watching'],
    [{ watching: true, keepAlive: false }, 'close', 'serve.keepAlive is false'],
  ] as const)('%j: %s (%s)', (facts, action, reason) => {
    expect(keepDashboardUp({ ...FACTS, ...facts })).toEqual({ action, reason })
  })

  test('the facts come from the option, the terminal, the CI variables and the command line', () => {
    const view = (tty: boolean, argv: string[] = [], stdinIsRaw = false) => ({ stdinIsTTY: tty, stdinIsRaw, stdoutIsTTY: tty, argv: ['node', 'jest', ...argv] })
    expect(afterRunFacts({ keepAlive: true }, {}, view(true))).toEqual({ keepAlive: true, isTTY: true, ci: false, watching: false })
    expect(afterRunFacts(true, { CI: 'true' }, view(false, ['--watchAll']))).toEqual({ keepAlive: undefined, isTTY: false, ci: true, watching: true })
    expect(afterRunFacts(7357, { CI: 'false' }, view(true, ['--watch=true']))).toMatchObject({ ci: false, watching: true })
    expect(afterRunFacts({}, {}, view(true, [], true))).toMatchObject({ isTTY: true, watching: true })
    // Output to a terminal but stdin from a pipe: nobody can press Ctrl+C to this process alone.
    expect(afterRunFacts({}, {}, { ...view(true), stdinIsTTY: false })).toMatchObject({ isTTY: false })
  })

  test('the lines say where the dashboard is, or that it closed, why, and how to see the run again', () => {
    expect(stayUpLine('http://127.0.0.1:5/?token=t', 'vitest')).toBe('the dashboard stays up at http://127.0.0.1:5/?token=t (Ctrl+C to stop)')
    expect(stayUpLine('http://127.0.0.1:5/?token=t', 'jest')).toBe('the dashboard stays up at http://127.0.0.1:5/?token=t (Ctrl+C to stop; Jest prints its summary then)')
    expect(closedLine('in CI', { root: '/p', dir: '/p/.flakeline' })).toBe('the live dashboard closed with the run (in CI); to see this run again: npx flakeline serve')
    expect(closedLine('in CI', { root: '/p', dir: '/p/store' })).toBe('the live dashboard closed with the run (in CI); to see this run again: npx flakeline serve --dir store')
    expect(closedLine('in CI', { root: '/p', dir: '/elsewhere/my store' })).toBe('the live dashboard closed with the run (in CI); to see this run again: npx flakeline serve --dir "/elsewhere/my store"')
  })

  test('a stop signal stops the wait, not the runner: its listeners are set aside meanwhile and put back, `once` still once', async () => {
    const proc = new EventEmitter() as unknown as NodeJS.Process
    const heard: string[] = []
    proc.once('SIGINT', () => heard.push('runner SIGINT'))
    proc.on('SIGTERM', () => heard.push('runner SIGTERM'))
    const waiting = untilStopped(proc, null)
    expect(proc.listenerCount('SIGINT')).toBe(1)
    proc.emit('SIGTERM', 'SIGTERM')
    await expect(waiting).resolves.toBe('SIGTERM')
    expect(heard).toEqual([])
    proc.emit('SIGINT', 'SIGINT')
    proc.emit('SIGINT', 'SIGINT')
    proc.emit('SIGTERM', 'SIGTERM')
    expect(heard).toEqual(['runner SIGINT', 'runner SIGTERM'])
    expect(proc.listenerCount('SIGINT')).toBe(0)
  })

  test('on a terminal, Ctrl+C is read as a key in raw mode (no SIGINT for the process group), and stdin is left as it was', async () => {
    const proc = new EventEmitter() as unknown as NodeJS.Process
    const modes: boolean[] = []
    const keyboard = Object.assign(new EventEmitter(), {
      readableFlowing: null as boolean | null,
      setRawMode: (raw: boolean) => modes.push(raw),
      resume: () => (keyboard.readableFlowing = true),
      pause: () => (keyboard.readableFlowing = false),
    })
    const waiting = untilStopped(proc, keyboard)
    expect(modes).toEqual([true])
    expect(keyboard.readableFlowing).toBe(true)
    keyboard.emit('data', Buffer.from('x'))
    keyboard.emit('data', Buffer.from([0x03]))
    await expect(waiting).resolves.toBe('Ctrl+C')
    expect(modes).toEqual([true, false])
    expect(keyboard.readableFlowing).toBe(false)
    expect(keyboard.listenerCount('data')).toBe(0)
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0)
  })
})

describe('a `serve` hub at the end of the run', () => {
  test('keepAlive: the end of the run waits until SIGINT, with the store closed and the run served from it; it says so even when quiet', async () => {
    const lines: string[] = []
    const root = project()
    const recorder = (await startRecording(root, { serve: { port: 0, keepAlive: true }, quiet: true }, START, (line) => lines.push(line)))!
    recorder.addFile(fileResult('tests/a.test.js', 'failed', 12, [testRecord('works', 'passed'), testRecord('breaks', 'failed', { location: { line: 3, column: 5 } })]))
    let finished = false
    const finishing = recorder.finish('failed').then((run) => {
      finished = true
      return run
    })
    await eventually(() => lines.some((line) => line.includes('stays up at')), 'the stay-up line')
    const match = /^flakeline: the dashboard stays up at http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+) \(Ctrl\+C to stop\)$/.exec(lines.find((line) => line.includes('stays up at'))!)!
    expect(match).not.toBeNull()
    const port = Number(match[1])
    const token = decodeURIComponent(match[2]!)
    // The recorder let go of the store before waiting: another process may write it meanwhile.
    const writer = HistoryStore.open(join(root, '.flakeline'), { historyLimit: 200 })
    await writer.close()
    const latest = await getJson(port, `/api/runs/latest?token=${token}`)
    expect(latest.status).toBe(200)
    expect(latest.body.run).toMatchObject({ status: 'failed', tests: 2, failed: 1 })
    expect(latest.body.failures).toEqual([expect.objectContaining({ name: 'breaks', path: 'tests/a.test.js', failureMessage: 'breaks failed', location: { line: 3, column: 5 } })])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(finished).toBe(false)

    process.emit('SIGINT', 'SIGINT')
    const run = await finishing
    expect(run).toMatchObject({ status: 'failed', failed: 1 })
    expect(lines).toEqual([expect.stringMatching(/^flakeline: the dashboard stays up at /), 'flakeline: the dashboard stopped'])
    await expect(getJson(port, `/api/runs/latest?token=${token}`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  test('keepAlive false (or no terminal): it closes with the run and says so, once', async () => {
    const lines: string[] = []
    const recorder = (await startRecording(project(), { serve: { port: 0, keepAlive: false } }, START, (line) => lines.push(line)))!
    recorder.addFile(fileResult('tests/a.test.js', 'passed', 12, [testRecord('works', 'passed')]))
    await recorder.finish('passed')
    expect(lines.filter((line) => line.includes('closed'))).toEqual([
      'flakeline: the live dashboard closed with the run (serve.keepAlive is false); to see this run again: npx flakeline serve',
    ])
  })

  test('in watch mode the hub stays for the next run of the process, at the same address', async () => {
    const argv = process.argv
    process.argv = [...argv, '--watch']
    try {
      const root = project()
      const addresses: string[] = []
      const closed: string[] = []
      for (const keepAlive of [true, true, false]) {
        const lines: string[] = []
        const recorder = (await startRecording(root, { serve: { port: 0, keepAlive } }, START, (line) => lines.push(line)))!
        await eventually(() => lines.some((line) => line.includes('live dashboard at')), 'the dashboard address')
        addresses.push(/live dashboard at (\S+)/.exec(lines.find((line) => line.includes('live dashboard at'))!)![1]!)
        recorder.addFile(fileResult('tests/a.test.js', 'passed', 12, [testRecord('works', 'passed')]))
        await recorder.finish('passed')
        closed.push(...lines.filter((line) => line.includes('closed')))
      }
      expect(new Set(addresses).size).toBe(1)
      // The last run does not keep it (keepAlive: false): it closes.
      expect(closed).toHaveLength(1)
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(addresses[0]!)![1])
      await expect(getJson(port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    } finally {
      process.argv = argv
    }
  })
})

describe('GET /api/runs/latest', () => {
  test('the newest finished run: counts, files in start order, failures with messages and locations, file errors, retried tests', async () => {
    const dir = scratch('flakeline-latest-')
    const store = HistoryStore.open(dir, { historyLimit: 200 })
    await recordRun(store, [fileResult('tests/a.test.js', 'passed', 10, [testRecord('works', 'passed')])], { id: 'first' })
    const retried = testRecord('wobbles', 'passed', { attempts: 2, attemptOutcomes: ['failed', 'passed'], retryErrors: ['ECONNRESET'] })
    const broken = testRecord('adds tax', 'failed', { failureMessage: 'expected 0.3 to be 0.30000000000000004', location: { line: 7, column: 18 } })
    await recordRun(
      store,
      [
        fileResult('tests/b.test.js', 'failed', 30, [broken, retried], 2_000),
        fileResult('tests/a.test.js', 'passed', 10, [testRecord('works', 'passed'), testRecord('later', 'skipped')], 1_000),
        { ...fileResult('tests/c.test.js', 'failed', 5, [], 1_500), fileError: 'SyntaxError: Unexpected token' },
      ],
      { id: 'second' },
    )
    // A run still going (or cut off) after it is not what the page shows.
    await store.beginRun(newRun({ id: 'third' }))
    await store.close()

    const server = await hubs.server({ storeDir: dir })
    const answer = await getJson(server.port, `/api/runs/latest?token=${server.token}`)
    expect(answer.status).toBe(200)
    const body = answer.body as RecordedRun
    expect(body.run).toMatchObject({ id: 'second', status: 'failed', tests: 4, passed: 2, failed: 1, skipped: 1, flaky: 1 })
    expect(body.files.map((file) => [file.path, file.status, file.tests, file.failed])).toEqual([
      ['tests/a.test.js', 'passed', 2, 0],
      ['tests/c.test.js', 'failed', 0, 0],
      ['tests/b.test.js', 'failed', 2, 1],
    ])
    expect(body.failures).toEqual([
      { fileId: 'tests/b.test.js', path: 'tests/b.test.js', name: 'adds tax', failureMessage: 'expected 0.3 to be 0.30000000000000004', location: { line: 7, column: 18 }, durationMs: 4, attempts: 1 },
      { fileId: 'tests/c.test.js', path: 'tests/c.test.js', name: '', failureMessage: 'SyntaxError: Unexpected token', location: null, durationMs: 5, attempts: 1 },
    ])
    expect(body.failuresOmitted).toBe(0)
    expect(body.flaky).toEqual([{ fileId: 'tests/b.test.js', path: 'tests/b.test.js', name: 'wobbles', attemptOutcomes: ['failed', 'passed'], retryErrors: ['ECONNRESET'] }])

    const unauthorized = await getJson(server.port, '/api/runs/latest')
    expect(unauthorized.status).toBe(401)
  })

  test('404 with FLAKELINE_E_NOT_FOUND before the first run', async () => {
    const server = await hubs.server({ storeDir: join(scratch('flakeline-latest-'), '.flakeline') })
    const answer = await getJson(server.port, `/api/runs/latest?token=${server.token}`)
    expect(answer.status).toBe(404)
    expect(answer.body.error).toEqual({ code: ErrorCodes.NOT_FOUND, message: 'no run recorded yet' })
  })
})

describe('the view of a recorded run on the page', () => {
  test('is a finished run marked recorded, with lanes rebuilt from start times and durations', () => {
    const recorded: RecordedRun = {
      run: {
        id: 'r1', seq: 4, runner: 'jest', runnerVersion: '30.5.2', startedAt: new Date(1_000).toISOString(), endedAt: new Date(5_000).toISOString(), status: 'failed',
        shard: null, workers: 2, files: 3, tests: 4, passed: 2, failed: 1, skipped: 1, todo: 0, flaky: 0, durationMs: 4_000, deadlineMisses: [{ file: 'a', deadlineMs: 10, finishedMs: 20 }],
      },
      files: [
        { fileId: 'a', path: 'a', status: 'passed', startedAt: 1_000, durationMs: 1_000, tests: 2, failed: 0 },
        { fileId: 'b', path: 'b', status: 'failed', startedAt: 1_100, durationMs: 3_000, tests: 1, failed: 1 },
        { fileId: 'c', path: 'c', status: 'skipped', startedAt: 2_000, durationMs: 500, tests: 1, failed: 0 },
      ],
      failures: [{ fileId: 'b', path: 'b', name: 'breaks', failureMessage: 'boom', location: { line: 1, column: 2 }, durationMs: 3, attempts: 1 }],
      failuresOmitted: 0,
      flaky: [],
    }
    const view = recordedRunView(recorded)
    expect(view).toMatchObject({ key: 'r1', source: 'recorded', startedAt: 1_000, endedAt: 5_000, counts: { passed: 2, failed: 1, skipped: 1, todo: 0 }, filesDone: 3 })
    expect(Array.from(view.shards.values()).map((shard) => [shard.status, shard.runner, shard.storeRunId])).toEqual([['failed', 'jest', 'r1']])
    expect(view.failures.map((failure) => [failure.name, failure.location, failure.failureMessage])).toEqual([['breaks', { line: 1, column: 2 }, 'boom']])
    expect(view.deadlineMisses).toEqual([{ fileId: 'a', deadlineMs: 10, finishedMs: 20 }])
    // c starts when a has ended, so it takes a's lane, as the live publisher would have put it.
    expect(recordedLanes(recorded.files).map((span) => [span.path, span.lane, span.end])).toEqual([
      ['a', 'lane 1', 2_000],
      ['b', 'lane 2', 4_100],
      ['c', 'lane 1', 2_500],
    ])
  })
})

describe('chart scales', () => {
  test.each([
    [[100 * (3769 / 3772)], [99.91, 100]],
    [[100 * (34 / 35), 100], [96, 100]],
    [[100 * (31 / 32)], [96, 100]],
    [[50, 100], [40, 100]],
    [[5], [0, 100]],
    [[100, 100], [99, 100]],
    [[null], [0, 100]],
    [[], [0, 100]],
  ])('pass rates %j: y from %j', (rates, range) => {
    expect(passRateRange(rates)).toEqual(range)
  })

  test('one failure among thousands is off the top edge of the pass-rate axis', () => {
    const [low, high] = passRateRange([100, 100 * (3771 / 3772), 100])
    const rate = 100 * (3771 / 3772)
    // At 180 px high, the dip is at least a tenth of the axis below the top.
    expect((high - rate) / (high - low)).toBeGreaterThan(0.1)
  })

  test('failed-test counts start at 0 and span at least 0–1', () => {
    expect(countRange([0, 0])).toEqual([0, 1])
    expect(countRange([0, 3, 1])).toEqual([0, 3])
  })
})

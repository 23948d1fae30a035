import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import type { RunStart } from '../../../src/core/run-recorder.js'
import { startRecording } from '../../../src/core/start-recording.js'
import { liveRunKey } from '../../../src/live/live-run-key.js'
import { FrameCollector } from '../../e2e/_streaming.js'
import { fileResult, testRecord } from '../core/_fixtures.js'
import { useHubs } from './_net.js'

// startRecording reads FLAKELINE_* from process.env; these tests pass options inline.
for (const name of Object.keys(process.env)) if (name.startsWith('FLAKELINE_')) delete process.env[name]

const hubs = useHubs()
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'flakeline-live-'))
  dirs.push(root)
  writeFileSync(join(root, 'package.json'), '{"name":"fixture"}')
  return root
}

const START: RunStart = { runner: 'vitest', runnerVersion: '4.1.12', shard: null, workers: 2 }
const retried = testRecord('reconnects', 'passed', { attempts: 2, attemptOutcomes: ['failed', 'passed'], retryErrors: ['ECONNRESET'] })

describe('the recorder publishes a run live', () => {
  test('to a remote hub: run, file starts on lanes, every test once, files, console, flaky evidence, the end', async () => {
    const server = await hubs.server()
    const got = new FrameCollector()
    const subscriber = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['run', 'results', 'console', 'analysis'], onFrame: got.push })
    await subscriber.ready()
    const lines: string[] = []
    const recorder = (await startRecording(project(), { hub: server.wsUrl, token: server.token }, START, (line) => lines.push(line)))!
    recorder.fileStarted({ fileId: 'tests/a.test.js', project: '', path: 'tests/a.test.js' })
    recorder.fileStarted({ fileId: 'tests/b.test.js', project: '', path: 'tests/b.test.js' })
    recorder.consoleOutput({ stream: 'stdout', text: 'hello <b>\n', fileId: 'tests/a.test.js', path: 'tests/a.test.js' })
    recorder.addFile(fileResult('tests/a.test.js', 'passed', 12, [testRecord('works', 'passed'), retried]))
    recorder.fileStarted({ fileId: 'tests/c.test.js', project: '', path: 'tests/c.test.js' })
    recorder.addFile(fileResult('tests/b.test.js', 'failed', 20, [testRecord('breaks', 'failed')]))
    recorder.addFile(fileResult('tests/c.test.js', 'passed', 5, [testRecord('later', 'skipped')]))
    const run = await recorder.finish('failed')
    await got.until((frames) => frames.some((frame) => frame[2] === 'run.end'), 'the end of the run')

    const payloads = (type: string) => got.of(type).map((frame) => frame[3] as Record<string, unknown>)
    expect(payloads('run.start')).toEqual([expect.objectContaining({ run: run!.id, runner: 'vitest', runnerVersion: '4.1.12', workers: 2 })])
    // c started when a had finished, so it took a's lane.
    expect(payloads('file.start').map((file) => [file.path, file.lane])).toEqual([['tests/a.test.js', 0], ['tests/b.test.js', 1], ['tests/c.test.js', 0]])
    expect(payloads('test').map((test) => `${test.fileId} > ${test.name}: ${test.status}`)).toEqual([
      'tests/a.test.js > works: passed',
      'tests/a.test.js > reconnects: passed',
      'tests/b.test.js > breaks: failed',
      'tests/c.test.js > later: skipped',
    ])
    expect(payloads('file').map((file) => [file.path, file.status, file.tests, file.failed])).toEqual([['tests/a.test.js', 'passed', 2, 0], ['tests/b.test.js', 'failed', 1, 1], ['tests/c.test.js', 'passed', 1, 0]])
    expect(payloads('log')).toEqual([expect.objectContaining({ stream: 'stdout', text: 'hello <b>\n', path: 'tests/a.test.js' })])
    expect(payloads('flaky')).toEqual([expect.objectContaining({ name: 'reconnects', evidence: 'passed-on-retry', attemptOutcomes: ['failed', 'passed'], retryErrors: ['ECONNRESET'] })])
    expect(payloads('run.end')).toEqual([expect.objectContaining({ id: run!.id, status: 'failed', files: 3, tests: 4, passed: 2, failed: 1, skipped: 1, flaky: 1 })])
    expect(new Set(got.frames.map((frame) => (frame[3] as { publisher: string }).publisher)).size).toBe(1)
    expect(lines.filter((line) => line.includes('warning'))).toEqual([])
  })

  test('to an in-process hub with `serve`, printing the dashboard address', async () => {
    let printed!: (line: string) => void
    const address = new Promise<string>((resolve) => (printed = resolve))
    const sink = (line: string) => {
      if (line.includes('live dashboard at')) printed(line)
    }
    const recorder = (await startRecording(project(), { serve: { port: 0 } }, START, sink))!
    const line = await Promise.race([address, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no dashboard address printed')), 10_000))])
    const match = /live dashboard at (http:\/\/127\.0\.0\.1:(\d+)\/)\?token=(\S+)/.exec(line)!
    const got = new FrameCollector()
    const subscriber = hubs.client({ url: `ws://127.0.0.1:${match[2]}`, token: decodeURIComponent(match[3]!), subscribe: ['run', 'results'], reconnect: false, onFrame: got.push })
    await subscriber.ready()
    recorder.addFile(fileResult('tests/a.test.js', 'passed', 12, [testRecord('works', 'passed')]))
    await recorder.finish('passed')
    expect(got.of('run.start')).toHaveLength(1)
    expect(got.of('test')).toHaveLength(1)
    expect(got.of('run.end')).toHaveLength(1)
  })

  test('an unreachable hub costs one warning and a bounded wait; the run is recorded', async () => {
    const server = await hubs.server()
    const url = server.wsUrl
    await server.close()
    const lines: string[] = []
    const root = project()
    const recorder = (await startRecording(root, { hub: url, token: 'a-token-of-16-chars' }, START, (line) => lines.push(line)))!
    for (let i = 0; i < 50; i++) recorder.addFile(fileResult(`tests/${i}.test.js`, 'passed', 1, [testRecord('works', 'passed')]))
    // finish() gives the publisher a bounded flush; a hang fails this test by its timeout.
    const run = await recorder.finish('passed')
    expect(run?.files).toBe(50)
    const warnings = lines.filter((line) => line.includes('warning'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(ErrorCodes.HUB_UNREACHABLE)
  })

  test('strict mode turns a hub problem into an error at the end of the run', async () => {
    const server = await hubs.server()
    const url = server.wsUrl
    await server.close()
    const recorder = (await startRecording(project(), { hub: url, token: 'a-token-of-16-chars', strict: true }, START, () => {}))!
    await expect(recorder.finish('passed')).rejects.toMatchObject({ code: ErrorCodes.HUB_UNREACHABLE })
  })

  test.each([
    [{ serve: true, hub: 'ws://127.0.0.1:1' }, 'options.serve and options.hub (FLAKELINE_HUB) cannot both be set: serve a hub here, or publish to one'],
    [{ hub: 'ws://127.0.0.1:1' }, 'options.hub (FLAKELINE_HUB) needs a valid options.token (FLAKELINE_TOKEN): none is set, or the one set was refused (see above); the run is not published live'],
  ])('%j: warned once with FLAKELINE_E_CONFIG, nothing published; thrown in strict mode', async (options, message) => {
    const lines: string[] = []
    const recorder = (await startRecording(project(), options, START, (line) => lines.push(line)))!
    expect(lines).toEqual([`flakeline: warning ${ErrorCodes.CONFIG}: ${message}`])
    await recorder.finish('passed')
    try {
      await startRecording(project(), { ...options, strict: true }, START, () => {})
      throw new Error('expected an error')
    } catch (error) {
      expect(error).toBeInstanceOf(FlakelineError)
      expect((error as FlakelineError).message).toBe(message)
    }
  })

  test('shards of one CI job publish under one run key, each as its own publisher', async () => {
    const server = await hubs.server()
    const got = new FrameCollector()
    const subscriber = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['run'], onFrame: got.push })
    await subscriber.ready()
    const root = project()
    for (const index of [1, 2]) {
      const recorder = (await startRecording(root, { hub: server.wsUrl, token: server.token, runId: 'ci-1234' }, { ...START, shard: { index, count: 2 } }, () => {}))!
      await recorder.finish('passed')
    }
    await got.until((frames) => frames.filter((frame) => frame[2] === 'run.end').length === 2, 'both ends')
    const starts = got.of('run.start').map((frame) => frame[3] as { run: string; publisher: string; shard: unknown })
    expect(starts.map((start) => start.run)).toEqual(['ci-1234', 'ci-1234'])
    expect(starts.map((start) => start.shard)).toEqual([{ index: 1, count: 2 }, { index: 2, count: 2 }])
    expect(new Set(starts.map((start) => start.publisher)).size).toBe(2)
  })
})

describe('the live run key', () => {
  test('is the configured run id, else the CI job, else the run itself', () => {
    expect(liveRunKey('mine', 'own', { GITHUB_RUN_ID: '7' })).toBe('mine')
    expect(liveRunKey(undefined, 'own', { GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'test suite' })).toBe('github-7-2-test-suite')
    expect(liveRunKey(undefined, 'own', { CI_PIPELINE_ID: '99', CI_JOB_NAME: 'unit' })).toBe('gitlab-99-unit')
    expect(liveRunKey(undefined, 'own', {})).toBe('own')
  })
})

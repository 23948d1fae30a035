import { request } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { ChannelHub } from '../../../src/hub/channel-hub.js'
import { HubServer, type HubServerOptions } from '../../../src/hub/hub-server.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { recordRun, fileResult, testRecord } from '../core/_fixtures.js'
import { useHubs } from './_net.js'

const hubs = useHubs()
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function rejection(promise: Promise<unknown>): Promise<FlakelineError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(FlakelineError)
    return error as FlakelineError
  }
  throw new Error('expected a rejection')
}

/** An HTTP GET on the hub; resolves with status, headers and body. */
function get(server: HubServer, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A WebSocket upgrade by hand: the status line the hub answers with. */
function upgrade(server: HubServer, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    })
    req.on('response', (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    req.on('upgrade', (response, socket) => {
      socket.destroy()
      resolve(response.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('hub options', () => {
  test.each([
    [{ replayFrames: 5 }, 'hub options.replayFrames must be an integer from 16 to 10000000, got 5'],
    [{ slowGraceMs: -1 }, 'hub options.slowGraceMs must be an integer from 0 to 3600000, got -1'],
    [{ maxMessageBytes: 1.5 }, 'hub options.maxMessageBytes must be an integer'],
    [{ replayFrames: 1000, maxLagFrames: 1000 }, 'hub options.maxLagFrames (1000) must be less than hub options.replayFrames (1000)'],
    [{ maxConsoleLag: 10, coalesceConsoleLag: 10 }, 'hub options.coalesceConsoleLag (10) must be less than hub options.maxConsoleLag (10)'],
    [{ replay: 1 }, 'hub options: unknown option "replay"'],
  ])('%j is refused: %s', (options, message) => {
    try {
      new ChannelHub(options as never)
      throw new Error('expected an error')
    } catch (error) {
      expect((error as FlakelineError).code).toBe(ErrorCodes.CONFIG)
      expect((error as Error).message).toContain(message)
    }
  })

  test.each<[HubServerOptions, string]>([
    [{ port: 70_000 }, 'options.port must be an integer from 0 to 65535, got 70000'],
    [{ quicPort: -1 }, 'options.quicPort must be an integer from 0 to 65535, got -1'],
    [{ host: '' }, 'options.host must be a non-empty host name or address'],
    [{ token: 'short' }, 'options.token must be at least 16 characters without spaces'],
    [{ highWaterBytes: 10 }, 'options.highWaterBytes must be an integer of at least 1024'],
    [{ tlsCert: 'cert.pem' }, 'options.tlsCert and options.tlsKey go together'],
    [{ tlsCert: 'cert.pem', tlsKey: 'key.pem' }, 'options.tlsCert is for the QUIC transport: set options.quicPort too'],
    [{ colour: 'red' } as HubServerOptions, 'unknown hub server option "colour"'],
  ])('HubServer.start(%j) rejects with FLAKELINE_E_CONFIG', async (options, message) => {
    const error = await rejection(HubServer.start(options))
    expect(error.code).toBe(ErrorCodes.CONFIG)
    expect(error.message).toContain(message)
  })

  test('a port in use is FLAKELINE_E_HUB_LISTEN, and nothing is left listening', async () => {
    const first = await hubs.server()
    const error = await rejection(HubServer.start({ port: first.port }))
    expect(error.code).toBe(ErrorCodes.HUB_LISTEN)
    expect(error.message).toContain(`127.0.0.1:${first.port}`)
  })

  test('binds 127.0.0.1 by default and closes idempotently', async () => {
    const server = await HubServer.start({ quicPort: 0 })
    expect(server.host).toBe('127.0.0.1')
    expect(server.dashboardUrl).toBe(`http://127.0.0.1:${server.port}/`)
    expect(server.quicUrl).toBe(`quic://127.0.0.1:${server.quicPort}?fingerprint=${server.fingerprint}`)
    await Promise.all([server.close(), server.close()])
    await server.close()
    await expect(get(server, '/healthz')).rejects.toThrow()
  })
})

describe('authentication', () => {
  test('the WebSocket upgrade is refused with 401 before any frame, with a wrong or missing token', async () => {
    const server = await hubs.server()
    expect(await upgrade(server, '/ws')).toBe(401)
    expect(await upgrade(server, '/ws?token=wrong-token-wrong-token')).toBe(401)
    expect(await upgrade(server, '/ws', { authorization: 'Bearer nope' })).toBe(401)
    expect(await upgrade(server, `/ws?token=${server.token}`)).toBe(101)
    expect(await upgrade(server, `/elsewhere?token=${server.token}`)).toBe(404)
    expect(server.hub.sessionCount).toBeLessThanOrEqual(1)
  })

  test('a client with a wrong token fails with FLAKELINE_E_HUB_AUTH and does not retry, over WebSocket and QUIC', async () => {
    const server = await hubs.server({ quicPort: 0 })
    for (const url of [server.wsUrl, server.quicUrl!]) {
      const problems: string[] = []
      const client = hubs.client({ url, token: 'not-the-token-at-all', subscribe: ['results'], onProblem: (error) => problems.push(error.code) })
      expect((await rejection(client.ready())).code).toBe(ErrorCodes.HUB_AUTH)
      expect(problems).toEqual([ErrorCodes.HUB_AUTH])
    }
  })

  test('the history API needs the token too; the dashboard files do not', async () => {
    const server = await hubs.server()
    const refused = await get(server, '/api/runs')
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body)).toEqual({ error: { code: ErrorCodes.HUB_AUTH, message: 'wrong or missing token' } })
    const page = await get(server, '/')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<script src="/dashboard.js"></script>')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect((await get(server, '/dashboard.js')).headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect((await get(server, '/uPlot.min.css')).status).toBe(200)
    expect((await get(server, '/nothing-here')).status).toBe(404)
  })
})

describe('the read-only history API', () => {
  test('serves runs, one run, flaky tests with evidence, and answers unknown paths with 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flakeline-api-'))
    dirs.push(dir)
    const store = HistoryStore.open(dir, { historyLimit: 200 })
    const retried = testRecord('wobbles', 'passed', { attempts: 2, attemptOutcomes: ['failed', 'passed'] })
    await recordRun(store, [fileResult('tests/a.test.js', 'passed', 10, [testRecord('works', 'passed'), retried])], { id: 'first' })
    await recordRun(store, [fileResult('tests/a.test.js', 'failed', 12, [testRecord('works', 'failed'), testRecord('wobbles', 'passed')])], { id: 'second' })
    await store.close()

    const server = await hubs.server({ storeDir: dir })
    const auth = { authorization: `Bearer ${server.token}` }
    const runs = JSON.parse((await get(server, '/api/runs', auth)).body) as { runs: Array<{ id: string; failed: number }> }
    expect(runs.runs.map((run) => [run.id, run.failed])).toEqual([['first', 0], ['second', 1]])
    expect(JSON.parse((await get(server, `/api/runs?limit=1&token=${server.token}`)).body).runs).toHaveLength(1)
    const one = JSON.parse((await get(server, '/api/runs/first', auth)).body) as { run: { id: string }; files: Array<{ path: string }> }
    expect(one.run.id).toBe('first')
    expect(one.files.map((file) => file.path)).toEqual(['tests/a.test.js'])
    const flaky = JSON.parse((await get(server, '/api/flaky', auth)).body) as { tests: Array<{ name: string; passedOnRetry: number }> }
    // `wobbles` passed on a retry; `works` passed and then failed on the same (uncommitted) code.
    expect(flaky.tests).toEqual([
      expect.objectContaining({ fileId: 'tests/a.test.js', name: 'works', passedOnRetry: 0, mixedOnSameCode: 1 }),
      expect.objectContaining({ fileId: 'tests/a.test.js', name: 'wobbles', passedOnRetry: 1, mixedOnSameCode: 0 }),
    ])
    const missing = await get(server, '/api/runs/nope', auth)
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body).error.code).toBe(ErrorCodes.NOT_FOUND)
    expect((await get(server, '/api/runs?limit=0', auth)).status).toBe(400)
  })

  test('answers empty lists before the first run, and 503 when the hub serves no store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flakeline-api-'))
    dirs.push(dir)
    const empty = await hubs.server({ storeDir: join(dir, '.flakeline') })
    expect(JSON.parse((await get(empty, `/api/runs?token=${empty.token}`)).body)).toEqual({ runs: [] })
    expect(JSON.parse((await get(empty, `/api/flaky?token=${empty.token}`)).body)).toEqual({ tests: [] })
    const none = await hubs.server()
    const answer = await get(none, `/api/runs?token=${none.token}`)
    expect(answer.status).toBe(503)
    expect(JSON.parse(answer.body).error.code).toBe(ErrorCodes.STORE_OPEN)
  })
})

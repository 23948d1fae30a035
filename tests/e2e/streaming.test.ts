import WebSocket from 'ws'
import { afterAll, describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../src/errors.js'
import { HubServer } from '../../src/hub/hub-server.js'
import { HubClient } from '../../src/transport/hub-client.js'
import type { Frame } from '../../src/transport/protocol.js'
import { TcpProxy } from '../unit/transport/_net.js'
import { createProject, flakelineLines, readStore, removeProjects, type RunnerInstall, type StoredRun } from './harness.js'
import { FrameCollector, startRunner } from './_streaming.js'

const closers: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  removeProjects()
})

async function hub(): Promise<HubServer> {
  const server = await HubServer.start({ quicPort: 0 })
  closers.push(() => server.close())
  return server
}

function subscriber(url: string, token: string, collector: FrameCollector, extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}): HubClient {
  const client = new HubClient({ url, token, subscribe: ['run', 'results', 'console', 'analysis'], onFrame: collector.push, ...extra })
  closers.push(() => client.close())
  return client
}

/** `fileId > name` of every test frame, with how many times each arrived. */
function testCounts(frames: Frame[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const [, , type, payload] of frames) {
    if (type !== 'test') continue
    const { fileId, name } = payload as { fileId: string; name: string }
    const key = `${fileId} > ${name}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

/** What the store recorded for the run: `fileId > name` → status. */
function storedTests(stored: StoredRun): Map<string, string> {
  return new Map(stored.files.flatMap((file) => file.tests.map((test) => [`${file.fileId} > ${test.name}`, test.status] as const)))
}

/** Every test the store recorded arrived exactly once, with the same status. */
function expectExactlyOnce(frames: Frame[], stored: StoredRun): void {
  const counts = testCounts(frames)
  const recorded = storedTests(stored)
  expect(recorded.size).toBe(35)
  expect(Array.from(counts.keys()).sort()).toEqual(Array.from(recorded.keys()).sort())
  expect(Array.from(counts.values()).every((count) => count === 1)).toBe(true)
  for (const [, , type, payload] of frames) {
    if (type !== 'test') continue
    const { fileId, name, status } = payload as { fileId: string; name: string; status: string }
    expect(status).toBe(recorded.get(`${fileId} > ${name}`))
  }
}

const ended = (frames: Frame[]) => frames.some((frame) => frame[2] === 'run.end')

describe('a real fixture run streams to subscribers', () => {
  test('Vitest 4 over WebSocket: WebSocket and QUIC subscribers get every result once, while garbage from another client changes nothing', async () => {
    const server = await hub()
    const overWs = new FrameCollector()
    const overQuic = new FrameCollector()
    await Promise.all([subscriber(server.wsUrl, server.token, overWs).ready(), subscriber(server.quicUrl!, server.token, overQuic).ready()])
    const dir = createProject('vitest4', 'vitest')
    const run = startRunner('vitest4', dir, { FLAKELINE_HUB: server.wsUrl, FLAKELINE_TOKEN: server.token })

    // While results stream in, a broken client sends garbage and is closed with 4002.
    await overWs.until((frames) => frames.some((frame) => frame[2] === 'test'), 'the first result')
    const rogue = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${server.token}` } })
    const rogueClosed = new Promise<number>((resolve) => rogue.once('close', (code) => resolve(code)))
    rogue.once('open', () => rogue.send(Buffer.from([0xde, 0xad, 0xbe, 0xef])))
    expect(await rogueClosed).toBe(4002)

    const result = await run.done
    expect(result.code).toBe(1)
    expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([])
    await overWs.until(ended, 'the end of the run over WebSocket')
    await overWs.settled()
    await overQuic.until(ended, 'the end of the run over QUIC')
    await overQuic.settled()
    const [stored] = await readStore(dir)
    expectExactlyOnce(overWs.frames, stored!)
    expectExactlyOnce(overQuic.frames, stored!)
    expect(overQuic.perChannel).toEqual(overWs.perChannel)
    const end = overWs.of('run.end')[0]![3] as Record<string, unknown>
    expect(end).toMatchObject({ id: stored!.run.id, status: 'failed', files: 8, tests: 35, passed: 30, failed: 1, skipped: 3, todo: 1, flaky: 1 })
    expect(overWs.of('file.start')).toHaveLength(8)
    expect(overWs.of('flaky').map((frame) => (frame[3] as { name: string }).name)).toEqual(['network client > reconnects after a dropped connection'])
  })

  test.each<[RunnerInstall]>([['jest30']])('%s over QUIC: a QUIC subscriber, and one whose connection drops mid-run, both miss nothing', async (install) => {
    const server = await hub()
    const proxy = await TcpProxy.start(server.port)
    closers.push(() => proxy.close())
    const overQuic = new FrameCollector()
    const dropping = new FrameCollector()
    const quicClient = subscriber(server.quicUrl!, server.token, overQuic)
    const droppingClient = subscriber(`ws://127.0.0.1:${proxy.port}`, server.token, dropping, { reconnect: { initialMs: 20, maxMs: 200 } })
    await Promise.all([quicClient.ready(), droppingClient.ready()])
    const dir = createProject(install, 'jest-babel')
    const run = startRunner(install, dir, { FLAKELINE_HUB: server.quicUrl!, FLAKELINE_TOKEN: server.token })

    await dropping.until((frames) => frames.some((frame) => frame[2] === 'test'), 'the first result')
    proxy.cut()
    await droppingClient.reconnected()

    const result = await run.done
    expect(result.code).toBe(1)
    expect(flakelineLines(result).filter((line) => line.includes('warning'))).toEqual([])
    await overQuic.until(ended, 'the end of the run over QUIC')
    await overQuic.settled()
    await dropping.until(ended, 'the end of the run after the drop')
    await dropping.settled()
    const [stored] = await readStore(dir)
    expectExactlyOnce(overQuic.frames, stored!)
    expectExactlyOnce(dropping.frames, stored!)
    expect(dropping.perChannel).toEqual(overQuic.perChannel)
  })

  test('a wrong token is refused: the run goes on and is recorded, with one warning', async () => {
    const server = await hub()
    const dir = createProject('vitest4', 'vitest')
    const result = await startRunner('vitest4', dir, { FLAKELINE_HUB: server.wsUrl, FLAKELINE_TOKEN: 'not-the-right-token-at-all' }).done
    expect(result.code).toBe(1)
    const warnings = flakelineLines(result).filter((line) => line.includes('warning'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(ErrorCodes.HUB_AUTH)
    expect(warnings[0]).toContain('HTTP 401')
    expect(server.hub.heads()).toEqual({ run: 0, results: 0, console: 0, analysis: 0 })
    const [stored] = await readStore(dir)
    expect(stored!.run).toMatchObject({ files: 8, tests: 35 })
  })
})

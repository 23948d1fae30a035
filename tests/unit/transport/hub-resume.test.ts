import { connect } from 'node:net'
import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { FrameCodec } from '../../../src/transport/frame-codec.js'
import type { Frame } from '../../../src/transport/protocol.js'
import { FrameCollector } from '../../e2e/_streaming.js'
import { eventually, useHubs } from './_net.js'

const hubs = useHubs()
const FAST = { initialMs: 20, maxMs: 200, factor: 2 }

/** Server-to-client WebSocket frames (unmasked): the last binary message and the close code. */
function webSocketFrames(bytes: Buffer): { closeCode: number | null; lastMessage: Buffer | null } {
  let offset = 0
  let closeCode: number | null = null
  let lastMessage: Buffer | null = null
  // Skip the HTTP response of the upgrade.
  offset = bytes.indexOf('\r\n\r\n') + 4
  while (offset + 2 <= bytes.length) {
    const opcode = bytes[offset]! & 0x0f
    let length = bytes[offset + 1]! & 0x7f
    let start = offset + 2
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2)
      start = offset + 4
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2))
      start = offset + 10
    }
    if (start + length > bytes.length) break
    const payload = bytes.subarray(start, start + length)
    if (opcode === 0x2) lastMessage = payload
    if (opcode === 0x8) closeCode = payload.readUInt16BE(0)
    offset = start + length
  }
  return { closeCode, lastMessage }
}

const numbers = (frames: Frame[]) => frames.map((frame) => (frame[3] as { i: number }).i)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k)

describe('resuming by sequence number', () => {
  test('a subscriber whose connection drops reconnects and misses nothing, receiving each frame once', async () => {
    const server = await hubs.server()
    const proxy = await hubs.proxy(server.port)
    const got = new FrameCollector()
    const problems: string[] = []
    const subscriber = hubs.client({ url: `ws://127.0.0.1:${proxy.port}`, token: server.token, subscribe: ['results', 'run'], reconnect: FAST, onFrame: got.push, onProblem: (error) => problems.push(error.code) })
    const publisher = hubs.client({ url: server.wsUrl, token: server.token, publisher: 'p' })
    await Promise.all([subscriber.ready(), publisher.ready()])
    for (let i = 1; i <= 300; i++) publisher.publish('results', 'test', { i })
    await got.until((frames) => frames.length >= 100, 'the first hundred frames')
    proxy.cut()
    const reconnected = subscriber.reconnected()
    for (let i = 301; i <= 600; i++) publisher.publish('results', 'test', { i })
    publisher.publish('run', 'run.end', { i: 0 })
    await reconnected
    await got.until((frames) => frames.length === 601, 'all 601 frames')
    expect(numbers(got.frames.filter((frame) => frame[0] === 'results'))).toEqual(range(1, 600))
    expect(problems).toEqual([ErrorCodes.HUB_UNREACHABLE])
  })

  test('a QUIC subscriber that closes and comes back with its positions gets exactly the rest', async () => {
    const server = await hubs.server({ quicPort: 0 })
    const publisher = hubs.client({ url: server.quicUrl!, token: server.token, publisher: 'q' })
    const first = new FrameCollector()
    const before = hubs.client({ url: server.quicUrl!, token: server.token, subscribe: ['results'], onFrame: first.push })
    await Promise.all([publisher.ready(), before.ready()])
    for (let i = 1; i <= 100; i++) publisher.publish('results', 'test', { i })
    await first.until((frames) => frames.length === 100, '100 frames')
    await before.close()
    for (let i = 101; i <= 250; i++) publisher.publish('results', 'test', { i })
    expect(await publisher.flush(10_000)).toBe(true)
    const rest = new FrameCollector()
    const after = hubs.client({ url: server.quicUrl!, token: server.token, subscribe: ['results'], since: { ...before.positions }, onFrame: rest.push })
    await after.ready()
    await rest.until((frames) => frames.length === 150, 'the other 150 frames')
    expect(numbers([...first.frames, ...rest.frames])).toEqual(range(1, 250))
  })

  test('asking for more than the replay log keeps gets what it keeps and a gap notice', async () => {
    const server = await hubs.server({ hub: { replayFrames: 100, maxLagFrames: 50 } })
    const publisher = hubs.client({ url: server.wsUrl, token: server.token, publisher: 'p' })
    await publisher.ready()
    for (let i = 1; i <= 300; i++) publisher.publish('results', 'test', { i })
    expect(await publisher.flush()).toBe(true)
    const got = new FrameCollector()
    const notices: Array<[string, unknown]> = []
    const late = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['results'], onFrame: got.push, onNotice: (type, payload) => notices.push([type, payload]) })
    await late.ready()
    await got.until((frames) => frames.length === 100, 'the 100 frames kept')
    expect(numbers(got.frames)).toEqual(range(201, 300))
    expect(notices).toContainEqual(['gap', { channel: 'results', from: 1, to: 200 }])
  })

  test('a publisher that loses the hub resends what the hub lacks; the hub skips what it has', async () => {
    const server = await hubs.server()
    const proxy = await hubs.proxy(server.port)
    const got = new FrameCollector()
    const subscriber = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['results'], onFrame: got.push })
    const publisher = hubs.client({ url: `ws://127.0.0.1:${proxy.port}`, token: server.token, publisher: 'shard-1', reconnect: FAST })
    await Promise.all([subscriber.ready(), publisher.ready()])
    for (let i = 1; i <= 2000; i++) {
      publisher.publish('results', 'test', { i })
      if (i === 1000) proxy.cut()
    }
    expect(await publisher.flush(10_000)).toBe(true)
    await got.until((frames) => frames.length === 2000, '2000 frames')
    expect(numbers(got.frames)).toEqual(range(1, 2000))
    expect(publisher.lostFrames).toBe(0)
  })

  test('while the hub is unreachable a publisher buffers, warns once, and delivers when it comes back', async () => {
    const server = await hubs.server()
    const proxy = await hubs.proxy(server.port)
    proxy.refusing = true
    const problems: string[] = []
    const publisher = hubs.client({ url: `ws://127.0.0.1:${proxy.port}`, token: server.token, publisher: 'patient', reconnect: FAST, onProblem: (error) => problems.push(error.code) })
    for (let i = 1; i <= 500; i++) publisher.publish('results', 'test', { i })
    await eventually(() => problems.length > 0, 'a reported outage')
    expect(publisher.connected).toBe(false)
    proxy.refusing = false
    expect(await publisher.flush(10_000)).toBe(true)
    expect(problems).toEqual([ErrorCodes.HUB_UNREACHABLE])
    expect(server.hub.heads().results).toBe(500)
  })

  test('a restarted hub is noticed: the subscriber starts over from the new hub', async () => {
    const first = await hubs.server()
    const second = await hubs.server({ token: first.token })
    const proxy = await hubs.proxy(first.port)
    const got = new FrameCollector()
    const notices: string[] = []
    const subscriber = hubs.client({ url: `ws://127.0.0.1:${proxy.port}`, token: first.token, subscribe: ['run'], reconnect: FAST, onFrame: got.push, onNotice: (type) => notices.push(type) })
    await subscriber.ready()
    first.hub.publish('run', 'run.start', { i: 1 })
    first.hub.publish('run', 'run.start', { i: 2 })
    await got.until((frames) => frames.length === 2, 'two frames from the first hub')
    second.hub.publish('run', 'run.start', { i: 3 })
    proxy.target = second.port
    proxy.cut()
    await got.until((frames) => frames.length === 3, 'the frame of the second hub')
    expect(got.frames.map((frame) => [frame[1], (frame[3] as { i: number }).i])).toEqual([[1, 1], [2, 2], [1, 3]])
    expect(notices).toContain('reset')
  })
})

describe('slow subscribers', () => {
  test('a subscriber that stops reading is disconnected with 4008 and a reason; memory stays bounded; others keep up', async () => {
    const server = await hubs.server({ hub: { replayFrames: 20_000, maxLagFrames: 2_000, slowGraceMs: 200 }, highWaterBytes: 64 * 1024 })
    // A real client that completes the upgrade and then never reads again.
    const stalled = connect({ host: '127.0.0.1', port: server.port })
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()))
    stalled.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${server.token}\r\n\r\n`,
    )
    const received: Buffer[] = []
    stalled.on('data', (chunk: Buffer) => received.push(chunk))
    await new Promise<void>((resolve) => stalled.once('data', () => resolve()))
    // hello + subscribe as masked client frames.
    const { encodeFrame } = await import('../../../src/transport/frame-codec.js')
    const mask = (payload: Uint8Array) => {
      const key = [1, 2, 3, 4]
      const header = payload.length < 126 ? [0x82, 0x80 | payload.length] : [0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]
      return Buffer.concat([Buffer.from(header), Buffer.from(key), Buffer.from(payload.map((byte, index) => byte ^ key[index % 4]!))])
    }
    stalled.write(mask(encodeFrame(['control', 1, 'hello', { protocol: 1 }])))
    stalled.write(mask(encodeFrame(['control', 2, 'subscribe', { channels: ['results'] }])))
    stalled.pause()
    await eventually(() => server.hub.sessionCount === 1, 'the stalled subscriber to say hello')

    const got = new FrameCollector()
    const healthy = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['results'], onFrame: got.push })
    await healthy.ready()
    const text = 'x'.repeat(200)
    for (let i = 1; i <= 30_000; i++) {
      server.hub.publish('results', 'test', { i, text })
      // The healthy subscriber reads as fast as it can; the test only keeps it inside the replay log.
      if (i % 1000 === 0) await got.until((frames) => frames.length >= i - 5_000, `frame ${i - 5_000}`)
    }
    await got.until((frames) => frames.length === 30_000, 'every frame at the healthy subscriber')
    await eventually(() => server.hub.sessionCount === 1, 'the stalled subscriber to be disconnected')
    expect(numbers(got.frames)).toEqual(range(1, 30_000))
    const log = server.hub.logs.get('results')!
    expect(log.head - log.oldest + 1).toBe(20_000)

    // Reading what the stalled client was sent, the end is a bye with the reason, then close code 4008.
    const ended = new Promise<void>((resolve) => stalled.on('close', () => resolve()))
    stalled.resume()
    await ended
    const { closeCode, lastMessage } = webSocketFrames(Buffer.concat(received))
    expect(closeCode).toBe(4008)
    const bye = new FrameCodec().decode(lastMessage!).at(-1)!
    expect(bye[2]).toBe('bye')
    expect((bye[3] as { reason: string }).reason).toMatch(/^too slow: /)
  })
})

import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { encodeFrame, FrameCodec } from '../../../src/transport/frame-codec.js'
import { CloseCodes, type Frame } from '../../../src/transport/protocol.js'
import type { QuicConnectionError, QuicEvent } from '../../../src/transport/quic-api.js'
import { loadQuic, silentQuicLogger } from '../../../src/transport/quic-module.js'
import { withLengthPrefix } from '../../../src/transport/length-prefix.js'
import { FrameCollector } from '../../e2e/_streaming.js'
import { closeOf, useHubs } from './_net.js'
import type WebSocket from 'ws'

const hubs = useHubs()

/** The control frames a raw socket received, decoded. */
function controlFrames(socket: WebSocket): Frame[] {
  const codec = new FrameCodec()
  const frames: Frame[] = []
  socket.on('message', (data) => frames.push(...codec.decode(data as Buffer)))
  return frames
}

const hello = encodeFrame(['control', 1, 'hello', { protocol: 1 }])

describe('protocol violations close only the offending connection', () => {
  test.each<[string, (socket: WebSocket) => void, number, string]>([
    ['garbage bytes', (socket) => socket.send(Buffer.from('definitely not msgpack \u00c1\u00c1')), CloseCodes.PROTOCOL_ERROR, 'a frame must be an array'],
    ['a text message', (socket) => socket.send('{"hello":1}'), CloseCodes.PROTOCOL_ERROR, 'text messages are not part of the protocol'],
    ['a frame before the hello', (socket) => socket.send(encodeFrame(['control', 1, 'subscribe', { channels: ['run'] }])), CloseCodes.PROTOCOL_ERROR, 'the first frame must be a control hello'],
    ['an unsupported protocol', (socket) => socket.send(encodeFrame(['control', 1, 'hello', { protocol: 2 }])), CloseCodes.UNSUPPORTED_VERSION, 'protocol 2 is not supported'],
    ['an unknown control type', (socket) => socket.send(Buffer.concat([hello, encodeFrame(['control', 2, 'launch', {}])])), CloseCodes.PROTOCOL_ERROR, 'unknown control frame type "launch"'],
    ['publishing without saying so', (socket) => socket.send(Buffer.concat([hello, encodeFrame(['results', 1, 'test', {}])])), CloseCodes.PROTOCOL_ERROR, 'send a control publish frame before publishing'],
    ['subscribing to no channel', (socket) => socket.send(Buffer.concat([hello, encodeFrame(['control', 2, 'subscribe', { channels: ['nope'] }])])), CloseCodes.PROTOCOL_ERROR, 'subscribe.channels must be'],
    ['a bad resume position', (socket) => socket.send(Buffer.concat([hello, encodeFrame(['control', 2, 'subscribe', { channels: ['run'], since: { run: -3 } }])])), CloseCodes.PROTOCOL_ERROR, 'subscribe.since.run must be a non-negative integer'],
  ])('%s: the client is told why and closed; a subscriber and a publisher go on', async (_what, misbehave, code, message) => {
    const server = await hubs.server()
    const healthy = new FrameCollector()
    const subscriber = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['results'], onFrame: healthy.push })
    const publisher = hubs.client({ url: server.wsUrl, token: server.token, publisher: 'steady' })
    await Promise.all([subscriber.ready(), publisher.ready()])
    for (let i = 1; i <= 100; i++) publisher.publish('results', 'test', { i })

    const bad = await hubs.raw(server)
    const received = controlFrames(bad)
    const closed = closeOf(bad)
    misbehave(bad)
    expect((await closed).code).toBe(code)
    const error = received.find((frame) => frame[2] === 'error')
    expect(error?.[3]).toMatchObject({ code: ErrorCodes.PROTOCOL })
    expect((error?.[3] as { message: string }).message).toContain(message)

    for (let i = 101; i <= 200; i++) publisher.publish('results', 'test', { i })
    await healthy.until((frames) => frames.length === 200, '200 results')
    expect(healthy.frames.map((frame) => (frame[3] as { i: number }).i)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(subscriber.connected && publisher.connected).toBe(true)
  })

  test('a message over the size limit closes with 1009', async () => {
    const server = await hubs.server({ hub: { maxMessageBytes: 4096 } })
    const bad = await hubs.raw(server)
    const closed = closeOf(bad)
    bad.send(Buffer.alloc(10_000))
    expect((await closed).code).toBe(CloseCodes.MESSAGE_TOO_BIG)
  })

  test('a connection that never says hello is closed after the hello timeout', async () => {
    const server = await hubs.server({ hub: { helloTimeoutMs: 100 } })
    const silent = await hubs.raw(server)
    expect((await closeOf(silent)).code).toBe(CloseCodes.HELLO_TIMEOUT)
  })

  test('garbage on a QUIC stream closes that connection with 4002; others are not disturbed', async () => {
    const server = await hubs.server({ quicPort: 0 })
    const healthy = new FrameCollector()
    const subscriber = hubs.client({ url: server.quicUrl!, token: server.token, subscribe: ['results'], onFrame: healthy.push })
    const publisher = hubs.client({ url: server.quicUrl!, token: server.token, publisher: 'steady' })
    await Promise.all([subscriber.ready(), publisher.ready()])

    const quic = await loadQuic()
    const client = await quic.QUICClient.createQUICClient({
      host: '127.0.0.1',
      port: server.quicPort!,
      localHost: '127.0.0.1',
      crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void crypto.getRandomValues(new Uint8Array(data)) } },
      config: { applicationProtos: ['flakeline/1'], verifyPeer: false },
      logger: silentQuicLogger,
    })
    const stopped = new Promise<number | undefined>((resolve) => {
      client.connection.addEventListener(quic.events.EventQUICConnectionError.name, (event: Event) => {
        resolve((event as QuicEvent<QuicConnectionError>).detail.data?.errorCode)
      })
    })
    const writer = client.connection.newStream('bidi').writable.getWriter()
    await writer.write(withLengthPrefix(encodeFrame(['control', 1, 'hello', { protocol: 1, token: server.token }])))
    await writer.write(withLengthPrefix(Buffer.from([0xc1, 0xc1, 0xc1])))
    expect(await stopped).toBe(CloseCodes.PROTOCOL_ERROR)
    await client.destroy({ force: true })

    for (let i = 1; i <= 50; i++) publisher.publish('results', 'test', { i })
    await healthy.until((frames) => frames.length === 50, '50 results over QUIC')
    expect(healthy.frames.map((frame) => (frame[3] as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  })
})

describe('the protocol between well-behaved clients', () => {
  test('records and plain subscribers receive the same frames, and a ping tells a publisher what the hub has', async () => {
    const server = await hubs.server()
    const plain = new FrameCollector()
    const records = new FrameCollector()
    const a = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['run', 'results'], records: false, onFrame: plain.push })
    const b = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['run', 'results'], records: true, onFrame: records.push })
    const publisher = hubs.client({ url: server.wsUrl, token: server.token, publisher: 'p1' })
    await Promise.all([a.ready(), b.ready(), publisher.ready()])
    for (let i = 0; i < 500; i++) publisher.publish(i % 5 === 0 ? 'run' : 'results', 'test', { i, name: `test ${i}`, status: 'passed' })
    expect(await publisher.flush(10_000)).toBe(true)
    await plain.until((frames) => frames.length === 500, 'plain frames')
    await records.until((frames) => frames.length === 500, 'records frames')
    expect(records.frames).toEqual(plain.frames)
    expect(server.hub.heads()).toMatchObject({ run: 100, results: 400 })
  })

  test('the hub numbers frames per channel across publishers, and a subscriber can start live', async () => {
    const server = await hubs.server()
    const early = hubs.client({ url: server.wsUrl, token: server.token, publisher: 'early' })
    await early.ready()
    early.publish('run', 'run.start', { n: 0 })
    expect(await early.flush()).toBe(true)
    const live = new FrameCollector()
    const subscriber = hubs.client({ url: server.wsUrl, token: server.token, subscribe: ['run'], since: 'live', onFrame: live.push })
    await subscriber.ready()
    const late = hubs.client({ url: server.wsUrl, token: server.token, publisher: 'late' })
    await late.ready()
    early.publish('run', 'file.start', { n: 1 })
    await live.until((frames) => frames.length === 1, 'one frame')
    late.publish('run', 'file.start', { n: 2 })
    await live.until((frames) => frames.length === 2, 'two frames')
    expect(live.frames.map((frame) => [frame[1], (frame[3] as { n: number }).n])).toEqual([[2, 1], [3, 2]])
  })
})

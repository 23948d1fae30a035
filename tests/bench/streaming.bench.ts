// Issue 5 targets, WebSocket and QUIC side by side: fan-in of at least 100,000 frames/s from
// several publishers to one subscriber on loopback; p99 latency from a reporter event to a
// subscriber under 10 ms at 5,000 events/s; memory flat while a subscriber is stalled. Publishers
// and subscribers run in their own processes, as they would. Baselines in the same run: a relay
// that forwards the same messages without decoding them (what the hub's protocol costs on top of
// the network), and @matrixai/quic alone on one stream (the ceiling any QUIC hub built on it has).
import { fork, type ChildProcess } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Packr, Unpackr } from 'msgpackr'
import WebSocket, { WebSocketServer } from 'ws'
import { HubServer } from '../../dist/src/hub/hub-server.js'
import { HubClient } from '../../dist/src/transport/hub-client.js'
import { startRecording } from '../../dist/src/core/start-recording.js'
import { createSelfSignedCertificate } from '../../dist/src/hub/self-signed-cert.js'
import { encodeFrame } from '../../dist/src/transport/frame-codec.js'
import type { QuicConnection, QuicEvent, QuicStream } from '../../dist/src/transport/quic-api.js'
import { loadQuic, silentQuicLogger } from '../../dist/src/transport/quic-module.js'
import { quicTuning } from '../../dist/src/transport/quic-tuning.js'
import { withLengthPrefix } from '../../dist/src/transport/length-prefix.js'
import { report } from './_bench-tools.js'

type Message =
  | { kind: 'ready' }
  | { kind: 'done'; frames: number; firstAt: number; lastAt: number; latencies?: number[] }
  | { kind: 'published'; frames: number }

const SELF = process.argv[1]!
const PUBLISHERS = 4
/** Tests per file in the latency run: events reach the reporter a file at a time. */
const TESTS_PER_FILE = 10

/** A test result of about the size the reporter publishes. */
function result(i: number, publisher: number) {
  return {
    run: 'bench',
    publisher: `p${publisher}`,
    shard: null,
    fileId: `packages/app/tests/module-${i % 500}.test.ts`,
    path: `packages/app/tests/module-${i % 500}.test.ts`,
    name: `module ${i % 500} > behaves > case ${i}`,
    status: i % 97 === 0 ? 'failed' : 'passed',
    durationMs: (i % 50) + 0.25,
    attempts: 1,
    location: { line: 10 + (i % 40), column: 3 },
  }
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const proc of children) proc.kill()
})

function child(role: string, args: Array<string | number>): { process: ChildProcess; next: (kind: Message['kind']) => Promise<Message> } {
  const proc = fork(SELF, [role, ...args.map(String)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] })
  children.add(proc)
  proc.on('exit', () => children.delete(proc))
  const queue: Message[] = []
  const waiting: Array<(message: Message) => void> = []
  proc.on('message', (message: Message) => {
    const waiter = waiting.shift()
    if (waiter) waiter(message)
    else queue.push(message)
  })
  return {
    process: proc,
    next: (kind) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${role}: no ${kind} in 120 s`)), 120_000)
        const take = (message: Message) => {
          clearTimeout(timer)
          if (message.kind !== kind) reject(new Error(`${role}: expected ${kind}, got ${message.kind}`))
          else resolve(message)
        }
        const queued = queue.shift()
        if (queued) take(queued)
        else waiting.push(take)
      }),
  }
}

// ---------------------------------------------------------------- child roles

async function subscriberRole(url: string, token: string, expected: number, mode: string): Promise<void> {
  let frames = 0
  let firstAt = 0
  let lastAt = 0
  const latencies: number[] = []
  const now = () => performance.timeOrigin + performance.now()
  const count = (payload: unknown, type: string) => {
    if (type !== 'test') return
    if (mode === 'latency' && (payload as { name: string }).name.startsWith('warm')) return
    frames++
    const t = performance.now()
    if (frames === 1) firstAt = t
    lastAt = t
    if (mode === 'latency') latencies.push(now() - (payload as { startedAt: number }).startedAt)
    if (frames === expected) process.send!({ kind: 'done', frames, firstAt, lastAt, latencies: mode === 'latency' ? latencies : undefined })
  }
  if (mode === 'relay') {
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })
    const socket = new WebSocket(`${url}/sub`)
    socket.on('message', (data) => {
      for (const frame of unpackr.unpackMultiple(data as Buffer) as Array<[string, number, string, unknown]>) count(frame[3], frame[2])
    })
    await new Promise((resolve) => socket.once('open', resolve))
  } else {
    const client = new HubClient({
      url,
      token,
      subscribe: ['results'],
      since: 'live',
      records: false,
      onFrame: (frame) => count(frame[3], frame[2]),
      onNotice: (type, payload) => { if (process.env.BENCH_DEBUG) console.error('subscriber notice', type, JSON.stringify(payload), frames) },
      onProblem: (error) => console.error('subscriber problem', error.message, frames),
    })
    await client.ready(30_000)
  }
  process.send!({ kind: 'ready' })
}

async function publisherRole(url: string, token: string, frames: number, index: number, mode: string): Promise<void> {
  process.send!({ kind: 'ready' })
  await new Promise<void>((resolve) => process.once('message', () => resolve()))
  if (mode === 'relay') {
    const packr = new Packr({ useRecords: false })
    const socket = new WebSocket(`${url}/pub`)
    await new Promise((resolve) => socket.once('open', resolve))
    let seq = 0
    while (seq < frames) {
      const parts: Uint8Array[] = []
      let bytes = 0
      while (seq < frames && bytes < 64 * 1024) {
        const part = packr.pack(['results', ++seq, 'test', result(seq, index)])
        parts.push(Buffer.from(part))
        bytes += part.length
      }
      socket.send(Buffer.concat(parts))
      if (socket.bufferedAmount > 1 << 20) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await new Promise((resolve) => socket.close() ?? socket.once('close', resolve))
  } else {
    // A publisher id is one publishing process: the hub skips seqs it already has from that id.
    const client = new HubClient({ url, token, publisher: `bench-${process.pid}-${index}` })
    await client.ready(30_000)
    for (let i = 1; i <= frames; i++) {
      client.publish('results', 'test', result(i, index))
      // Publishing never blocks; a benchmark that publishes faster than the network must pace itself.
      if (i % 1000 === 0) while (client.backlog > 20_000) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await client.flush(60_000)
    await client.close()
  }
  process.send!({ kind: 'published', frames })
}

/**
 * Reporter events at a steady rate through the real recorder (history store, live publisher):
 * files of `TESTS_PER_FILE` tests, as a runner reports them. A second of warm-up at the same rate
 * comes first (tests named `warm …`, not measured): the first frames of a process pay for
 * msgpackr's and V8's warm-up, once per run, not per event.
 */
async function reporterRole(url: string, token: string, rate: number, seconds: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flakeline-bench-live-'))
  writeFileSync(join(root, 'package.json'), '{}')
  const recorder = (await startRecording(root, { hub: url, token, quiet: true }, { runner: 'vitest', runnerVersion: 'bench', shard: null, workers: 1 }, () => {}))!
  process.send!({ kind: 'ready' })
  await new Promise<void>((resolve) => process.once('message', () => resolve()))
  const steady = async (label: string, total: number) => {
    const start = performance.now()
    let sent = 0
    let file = 0
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
      while (sent + TESTS_PER_FILE <= due || (due === total && sent < total)) {
        const at = performance.timeOrigin + performance.now()
        const tests = []
        for (let t = 0; t < TESTS_PER_FILE && sent < total; t++, sent++) {
          tests.push({ name: `${label} ${sent}`, status: 'passed' as const, durationMs: 1, startedAt: at, attempts: 1, attemptOutcomes: ['passed' as const], retryErrors: [], failureMessage: null, location: null })
        }
        const fileId = `tests/${label}-${file++ % 200}.test.ts`
        recorder.addFile({ fileId, project: '', path: fileId, status: 'passed', durationMs: tests.length, startedAt: at, fileError: null, tests })
      }
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
  await steady('warm', rate)
  await steady('case', rate * seconds)
  await recorder.finish('passed')
  rmSync(root, { recursive: true, force: true })
  process.send!({ kind: 'published', frames: rate * seconds })
}

// ---------------------------------------------------------------- measurements

/** A relay that forwards publishers' messages to the subscriber untouched. */
async function startRelay(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise((resolve) => server.once('listening', resolve))
  let subscriber: WebSocket | null = null
  server.on('connection', (socket, request) => {
    if (request.url === '/sub') subscriber = socket
    else socket.on('message', (data) => subscriber?.send(data as Buffer))
  })
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

async function fanIn(label: string, url: string, token: string, total: number, mode: string): Promise<number> {
  const subscriber = child('subscriber', [url, token, total, mode])
  await subscriber.next('ready')
  const publishers = Array.from({ length: PUBLISHERS }, (_, index) => child('publisher', [url, token, total / PUBLISHERS, index, mode]))
  await Promise.all(publishers.map((publisher) => publisher.next('ready')))
  for (const publisher of publishers) publisher.process.send('go')
  const done = (await subscriber.next('done')) as Extract<Message, { kind: 'done' }>
  await Promise.all(publishers.map((publisher) => publisher.next('published')))
  for (const proc of [subscriber, ...publishers]) proc.process.kill()
  const rate = done.frames / ((done.lastAt - done.firstAt) / 1000)
  console.log(`      ${label}: ${done.frames.toLocaleString('en')} frames from ${PUBLISHERS} publishers in ${Math.round(done.lastAt - done.firstAt)} ms`)
  return rate
}

function percentile(values: number[], p: number): number {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function latency(url: string, token: string, rate: number, seconds: number): Promise<number[]> {
  const subscriber = child('subscriber', [url, token, rate * seconds, 'latency'])
  await subscriber.next('ready')
  const reporter = child('reporter', [url, token, rate, seconds])
  await reporter.next('ready')
  reporter.process.send('go')
  const done = (await subscriber.next('done')) as Extract<Message, { kind: 'done' }>
  await reporter.next('published')
  subscriber.process.kill()
  reporter.process.kill()
  return done.latencies!
}

/** A WebSocket subscriber that upgrades, subscribes, and never reads again. */
async function stalledWebSocket(server: HubServer): Promise<() => void> {
  const socket = connect({ host: '127.0.0.1', port: server.port })
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${server.token}\r\n\r\n`)
  await new Promise((resolve) => socket.once('data', resolve))
  const packr = new Packr({ useRecords: false })
  const masked = (payload: Uint8Array) => Buffer.concat([Buffer.from([0x82, 0x80 | payload.length, 0, 0, 0, 0]), payload])
  socket.write(masked(packr.pack(['control', 1, 'hello', { protocol: 1 }])))
  socket.write(masked(packr.pack(['control', 2, 'subscribe', { channels: ['results', 'console'] }])))
  socket.pause()
  return () => socket.destroy()
}

/** A QUIC subscriber that says hello, subscribes, and never reads the streams the hub opens. */
async function stalledQuic(server: HubServer): Promise<() => void> {
  const quic = await loadQuic()
  const client = await quic.QUICClient.createQUICClient({
    host: '127.0.0.1',
    port: server.quicPort!,
    localHost: '127.0.0.1',
    crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void crypto.getRandomValues(new Uint8Array(data)) } },
    config: { applicationProtos: ['flakeline/1'], verifyPeer: false },
    logger: silentQuicLogger,
  })
  const writer = client.connection.newStream('bidi').writable.getWriter()
  const packr = new Packr({ useRecords: false })
  await writer.write(withLengthPrefix(packr.pack(['control', 1, 'hello', { protocol: 1, token: server.token }])))
  await writer.write(withLengthPrefix(packr.pack(['control', 2, 'subscribe', { channels: ['results', 'console'] }])))
  return () => void client.destroy({ force: true }).catch(() => {})
}

async function stalledMemory(): Promise<void> {
  const server = await HubServer.start({ quicPort: 0 })
  const release = [await stalledWebSocket(server), await stalledQuic(server)]
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
  const samples: Array<{ frames: number; heap: number; rss: number; sessions: number }> = []
  const total = 600_000
  const text = 'console output '.repeat(8)
  for (let i = 1; i <= total; i++) {
    server.hub.publish('results', 'test', result(i, 0))
    if (i % 4 === 0) server.hub.publish('console', 'log', { run: 'bench', publisher: 'p0', fileId: 'f', stream: 'stdout', text })
    if (i % 20_000 === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      gc()
      const memory = process.memoryUsage()
      samples.push({ frames: i, heap: memory.heapUsed, rss: memory.rss, sessions: server.hub.sessionCount })
    }
  }
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
  // The replay log fills first (100,000 frames); after that memory must not grow with the frames.
  const settled = samples.filter((sample) => sample.frames >= 200_000)
  const heaps = settled.map((sample) => sample.heap)
  const growth = heaps.at(-1)! - heaps[0]!
  console.log(`      heap after 200k, 400k, 600k frames: ${[200_000, 400_000, 600_000].map((n) => mb(samples.find((s) => s.frames === n)!.heap)).join(', ')}; rss ${mb(samples.at(-1)!.rss)}`)
  console.log(`      stalled subscribers still connected at the end: ${samples.at(-1)!.sessions} (of 2; disconnected as too slow)`)
  report('memory with stalled WebSocket and QUIC subscribers', `${growth >= 0 ? '+' : ''}${mb(growth)} over 400k frames`, 'flat (< 16 MB growth)', Math.abs(growth) < 16 * 1024 * 1024)
  for (const done of release) done()
  await server.close()
}

/**
 * The QUIC library's own ceiling, without flakeline: one stream on loopback, 64 KiB writes for
 * two seconds, with the datagram and window sizes the hub uses there. Returns frames/s for frames
 * of `frameBytes` each.
 */
async function rawQuicCeiling(frameBytes: number): Promise<number> {
  const quic = await loadQuic()
  const identity = createSelfSignedCertificate(['127.0.0.1'])
  const key = randomBytes(32)
  const hmac = (secret: ArrayBuffer, data: ArrayBuffer) => createHmac('sha256', Buffer.from(secret)).update(Buffer.from(data)).digest()
  const server = new quic.QUICServer({
    crypto: { key: key.buffer.slice(key.byteOffset, key.byteOffset + 32) as ArrayBuffer, ops: { sign: async (secret, data) => new Uint8Array(hmac(secret, data)).buffer, verify: async (secret, data, signature) => hmac(secret, data).equals(Buffer.from(signature)) } },
    config: { key: identity.keyPem, cert: identity.certPem, verifyPeer: false, applicationProtos: ['bench'], ...quicTuning('127.0.0.1') },
    logger: silentQuicLogger,
  })
  let received = 0
  server.addEventListener(quic.events.EventQUICServerConnection.name, (event: Event) => {
    const connection = (event as QuicEvent<QuicConnection>).detail
    // The client's closing arrives as an error event; unheard, the library rethrows it.
    connection.addEventListener(quic.events.EventQUICConnectionError.name, () => {})
    connection.addEventListener(quic.events.EventQUICConnectionStream.name, async (streamEvent: Event) => {
      const reader = (streamEvent as QuicEvent<QuicStream>).detail.readable.getReader()
      try {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value.length
      } catch {
        // the client went away
      }
    })
  })
  await server.start({ host: '127.0.0.1', port: 0 })
  const client = await quic.QUICClient.createQUICClient({
    host: '127.0.0.1',
    port: server.port,
    localHost: '127.0.0.1',
    crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void crypto.getRandomValues(new Uint8Array(data)) } },
    config: { applicationProtos: ['bench'], verifyPeer: false, ...quicTuning('127.0.0.1') },
    logger: silentQuicLogger,
  })
  const writer = client.connection.newStream('bidi').writable.getWriter()
  const chunk = new Uint8Array(64 * 1024)
  const start = performance.now()
  while (performance.now() - start < 2000) await writer.write(chunk)
  const sent = received
  const seconds = (performance.now() - start) / 1000
  await client.destroy({ force: true }).catch(() => {})
  await server.stop({ force: true }).catch(() => {})
  console.log(`      raw @matrixai/quic, one stream, 64 KiB writes: ${(sent / seconds / 1e6).toFixed(1)} MB/s received`)
  return sent / seconds / frameBytes
}

async function main(): Promise<void> {
  // Publishers never wait for subscribers, so a burst of 400,000 frames must fit the hub's replay
  // log for the subscriber to receive them all: throughput is measured with room for the whole
  // burst. Latency and memory below run on a hub with the default limits.
  const roomy = { replayFrames: 500_000, replayBytes: 512 * 1024 * 1024, maxLagFrames: 450_000 }
  const server = await HubServer.start({ quicPort: 0, hub: roomy })
  const standard = await HubServer.start({ quicPort: 0 })

  const relay = await startRelay()
  try {
    const relayRate = await fanIn('raw relay (baseline)', relay.url, '', 400_000, 'relay')
    const wsRate = await fanIn('hub over WebSocket', server.wsUrl, server.token, 400_000, 'hub')
    const quicRate = await fanIn('hub over QUIC', server.quicUrl!, server.token, 40_000, 'hub')
    const ceiling = await rawQuicCeiling(encodeFrame(['results', 100_000, 'test', result(100_000, 0)]).length)
    const thousands = (rate: number) => `${Math.round(rate / 1000).toLocaleString('en')}k frames/s`
    report('fan-in to one subscriber, WebSocket', thousands(wsRate), '>= 100k frames/s', wsRate >= 100_000)
    report('fan-in to one subscriber, QUIC', thousands(quicRate), '>= 100k frames/s', quicRate >= 100_000)
    console.log(`      ratios: hub over WebSocket / raw relay ${(wsRate / relayRate).toFixed(2)}; QUIC / WebSocket ${(quicRate / wsRate).toFixed(2)}; QUIC / the library's ceiling (${thousands(ceiling)}) ${(quicRate / ceiling).toFixed(2)}`)

    for (const [label, url] of [
      ['WebSocket', standard.wsUrl],
      ['QUIC', standard.quicUrl!],
    ] as const) {
      const latencies = await latency(url, standard.token, 5_000, 4)
      const p50 = percentile(latencies, 50)
      const p99 = percentile(latencies, 99)
      console.log(`      ${label}: ${latencies.length.toLocaleString('en')} events, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`)
      report(`p99 reporter event → subscriber at 5,000 events/s, ${label}`, `${p99.toFixed(2)} ms`, '< 10 ms', p99 < 10)
    }
  } finally {
    await relay.close()
    await server.close()
    await standard.close()
  }
  await stalledMemory()
}

const [role, ...args] = process.argv.slice(2)
if (role === 'subscriber') await subscriberRole(args[0]!, args[1]!, Number(args[2]), args[3]!)
else if (role === 'publisher') await publisherRole(args[0]!, args[1]!, Number(args[2]), Number(args[3]), args[4]!)
else if (role === 'reporter') await reporterRole(args[0]!, args[1]!, Number(args[2]), Number(args[3]))
else {
  try {
    await main()
  } finally {
    for (const proc of children) proc.kill()
  }
  process.exit(0)
}

import { describe, expect, test } from 'vitest'
import { ChannelLog, type LoggedFrame } from '../../../src/transport/channel-log.js'
import { FrameCodec, encodePayload } from '../../../src/transport/frame-codec.js'
import { DATA_CHANNELS, type DataChannel } from '../../../src/transport/protocol.js'
import { SubscriberQueue, plainMessage, type SubscriberLimits } from '../../../src/transport/subscriber-queue.js'

const LIMITS: SubscriberLimits = { maxLagFrames: 20, maxConsoleLag: 50, coalesceConsoleLag: 10 }

/** Logs for every channel and a publish function numbering arrival order like the hub does. */
function hub(maxFrames = 1000) {
  const logs = new Map<DataChannel, ChannelLog>(DATA_CHANNELS.map((channel) => [channel, new ChannelLog(channel, { maxFrames, maxBytes: 1 << 24 })]))
  let order = 0
  const publish = (channel: DataChannel, type: string, payload: unknown) => logs.get(channel)!.append(type, payload, encodePayload(payload), ++order)
  return { logs, publish }
}

const ids = (frames: LoggedFrame[]) => frames.map((frame) => `${frame.channel}:${frame.seq}`)

describe("a subscriber's queue", () => {
  test('resumes after the last seq it has, and reports what the log no longer keeps as a gap', () => {
    const { logs, publish } = hub(10)
    for (let i = 0; i < 25; i++) publish('results', 'test', { i })
    const queue = new SubscriberQueue(logs, LIMITS)
    expect(queue.subscribe('results', 20)).toBe(21)
    expect(ids(queue.take(1 << 20))).toEqual(['results:21', 'results:22', 'results:23', 'results:24', 'results:25'])
    const late = new SubscriberQueue(logs, LIMITS)
    expect(late.subscribe('results', 3)).toBe(16)
    expect(late.notices).toEqual([{ type: 'gap', payload: { channel: 'results', from: 4, to: 15 } }])
    const live = new SubscriberQueue(logs, LIMITS)
    expect(live.subscribe('results')).toBe(26)
    expect(live.take(1 << 20)).toEqual([])
  })

  test('sends lossless channels in arrival order, console interleaved while it keeps up', () => {
    const { logs, publish } = hub()
    const queue = new SubscriberQueue(logs, LIMITS)
    for (const channel of DATA_CHANNELS) queue.subscribe(channel)
    publish('run', 'file.start', {})
    publish('console', 'log', { text: 'a' })
    publish('results', 'test', {})
    publish('analysis', 'flaky', {})
    publish('results', 'file', {})
    expect(ids(queue.take(1 << 20))).toEqual(['run:1', 'console:1', 'results:1', 'analysis:1', 'results:2'])
  })

  test('a lagging console goes after the lossless channels, coalesced, with a count', () => {
    const { logs, publish } = hub()
    const queue = new SubscriberQueue(logs, LIMITS)
    queue.subscribe('results')
    queue.subscribe('console')
    for (let i = 0; i < 15; i++) publish('console', 'log', { run: 'r', fileId: 'f', stream: 'stdout', text: `${i}\n` })
    publish('results', 'test', { n: 1 })
    const frames = queue.take(1 << 20)
    expect(ids(frames)).toEqual(['results:1', 'console:15'])
    const payload = frames[1]!.payload as { text: string; coalesced: number }
    expect(payload.coalesced).toBe(15)
    expect(payload.text).toBe(Array.from({ length: 15 }, (_, i) => `${i}\n`).join(''))
    // The coalesced frame is encoded like any other.
    expect(new FrameCodec().decode(plainMessage(frames))[1]).toEqual(['console', 15, 'log', payload])
  })

  test('console lines of different files are not joined', () => {
    const { logs, publish } = hub()
    const queue = new SubscriberQueue(logs, LIMITS)
    queue.subscribe('console')
    for (let i = 0; i < 30; i++) publish('console', 'log', { run: 'r', fileId: i < 15 ? 'a' : 'b', stream: 'stdout', text: 'x' })
    expect(queue.take(1 << 20).map((frame) => (frame.payload as { fileId: string; coalesced?: number }).fileId + (frame.payload as { coalesced?: number }).coalesced)).toEqual(['a15', 'b15'])
  })

  test('console lagging beyond its limit is cut back with a dropped notice', () => {
    const { logs, publish } = hub()
    const queue = new SubscriberQueue(logs, LIMITS)
    queue.subscribe('console')
    for (let i = 0; i < 80; i++) publish('console', 'log', { run: 'r', fileId: `f${i}`, stream: 'stdout', text: 'x' })
    const frames = queue.take(1 << 20)
    expect(queue.notices).toEqual([{ type: 'dropped', payload: { channel: 'console', from: 1, to: 70, count: 70 } }])
    expect(ids(frames)).toEqual(Array.from({ length: 10 }, (_, i) => `console:${71 + i}`))
  })

  test('lossless frames are never dropped: lag makes the subscriber slow, and lost frames are reported', () => {
    const { logs, publish } = hub(30)
    const queue = new SubscriberQueue(logs, LIMITS)
    queue.subscribe('results')
    for (let i = 0; i < 20; i++) publish('results', 'test', { i })
    expect(queue.slow).toBe(false)
    publish('results', 'test', {})
    expect(queue.slow).toBe(true)
    expect(queue.lostFrames()).toBeNull()
    for (let i = 0; i < 10; i++) publish('results', 'test', {})
    expect(queue.lostFrames()).toBe('results')
  })

  test('take respects the byte budget and a single channel', () => {
    const { logs, publish } = hub()
    const queue = new SubscriberQueue(logs, LIMITS)
    queue.subscribe('results')
    queue.subscribe('run')
    for (let i = 0; i < 10; i++) {
      publish('results', 'test', { text: 'x'.repeat(100) })
      publish('run', 'file.start', {})
    }
    expect(queue.take(250, 'results').length).toBe(3)
    expect(queue.take(1 << 20, 'run').every((frame) => frame.channel === 'run')).toBe(true)
    expect(queue.pending('run')).toBe(false)
    expect(queue.pending('results')).toBe(true)
  })
})

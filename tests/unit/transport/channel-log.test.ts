import { describe, expect, test } from 'vitest'
import { ChannelLog } from '../../../src/transport/channel-log.js'
import { encodePayload } from '../../../src/transport/frame-codec.js'

function append(log: ChannelLog, count: number, payload: unknown = { n: 1 }): void {
  for (let i = 0; i < count; i++) log.append('test', payload, encodePayload(payload), i)
}

describe('a channel replay log', () => {
  test('numbers frames from 1 and finds them by seq', () => {
    const log = new ChannelLog('results', { maxFrames: 10, maxBytes: 1 << 20 })
    expect([log.head, log.oldest]).toEqual([0, 1])
    append(log, 3)
    expect([log.head, log.oldest]).toEqual([3, 1])
    expect(log.at(2)?.seq).toBe(2)
    expect(log.at(0)).toBeUndefined()
    expect(log.at(4)).toBeUndefined()
  })

  test('keeps at most maxFrames frames, dropping the oldest', () => {
    const log = new ChannelLog('results', { maxFrames: 10, maxBytes: 1 << 20 })
    append(log, 25)
    expect([log.head, log.oldest]).toEqual([25, 16])
    expect(log.at(15)).toBeUndefined()
    expect(log.at(16)?.seq).toBe(16)
    expect(log.at(25)?.seq).toBe(25)
  })

  test('keeps at most maxBytes, but always the newest frame', () => {
    const big = { text: 'x'.repeat(1000) }
    const log = new ChannelLog('console', { maxFrames: 1000, maxBytes: 4000 })
    append(log, 10, big)
    expect(log.size).toBeLessThanOrEqual(4000)
    expect(log.head - log.oldest + 1).toBe(3)
    const huge = new ChannelLog('console', { maxFrames: 10, maxBytes: 100 })
    append(huge, 2, big)
    expect([huge.oldest, huge.head]).toEqual([2, 2])
  })

  test('memory stays bounded however many frames pass', () => {
    const log = new ChannelLog('results', { maxFrames: 100, maxBytes: 1 << 20 })
    append(log, 100_000)
    expect(log.head - log.oldest + 1).toBe(100)
    const sizes = new Set(Array.from({ length: 100 }, (_, i) => log.at(log.oldest + i)!.size))
    expect(log.size).toBe(100 * Array.from(sizes)[0]!)
  })
})

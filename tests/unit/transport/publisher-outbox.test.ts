import { describe, expect, test } from 'vitest'
import { FrameCodec } from '../../../src/transport/frame-codec.js'
import { PublisherOutbox } from '../../../src/transport/publisher-outbox.js'

function drain(outbox: PublisherOutbox): Array<[string, number]> {
  const sent: Array<[string, number]> = []
  for (let entry = outbox.peek(); entry; entry = outbox.peek()) {
    sent.push([entry.channel, entry.seq])
    outbox.advance()
  }
  return sent
}

describe('a publisher outbox', () => {
  test('numbers frames per channel and encodes each once as a plain frame', () => {
    const outbox = new PublisherOutbox()
    const first = outbox.add('results', 'test', { n: 1 })
    outbox.add('run', 'run.start', {})
    outbox.add('results', 'test', { n: 2 })
    expect(new FrameCodec().decode(first.bytes)).toEqual([['results', 1, 'test', { n: 1 }]])
    expect(drain(outbox)).toEqual([['results', 1], ['run', 1], ['results', 2]])
    expect(outbox.published).toMatchObject({ run: 1, results: 2 })
  })

  test('after a reconnect, sends again from the first frame the hub lacks', () => {
    const outbox = new PublisherOutbox()
    for (let i = 0; i < 3; i++) {
      outbox.add('results', 'test', { i })
      outbox.add('console', 'log', { i })
    }
    drain(outbox)
    outbox.rewind({ run: 0, results: 2, console: 1, analysis: 0 })
    expect(drain(outbox)).toEqual([['console', 2], ['results', 3], ['console', 3]])
  })

  test('is bounded: the oldest frames go, and unsent ones are counted as lost', () => {
    const outbox = new PublisherOutbox({ maxFrames: 5 })
    for (let i = 0; i < 12; i++) outbox.add('results', 'test', { i })
    expect(outbox.size).toBe(5)
    expect(outbox.lostFrames).toBe(7)
    expect(drain(outbox).map(([, seq]) => seq)).toEqual([8, 9, 10, 11, 12])
    for (let i = 0; i < 3; i++) outbox.add('results', 'test', { i })
    expect(outbox.lostFrames).toBe(7)
    outbox.rewind({ run: 0, results: 0, console: 0, analysis: 0 })
    expect(drain(outbox).map(([, seq]) => seq)).toEqual([11, 12, 13, 14, 15])
  })

  test('a byte limit bounds it too', () => {
    const outbox = new PublisherOutbox({ maxBytes: 10_000 })
    for (let i = 0; i < 100; i++) outbox.add('console', 'log', { text: 'x'.repeat(1000) })
    expect(outbox.size).toBeLessThanOrEqual(10)
  })
})

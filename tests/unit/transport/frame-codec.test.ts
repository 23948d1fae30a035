import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { describe, expect, test } from 'vitest'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { frameBytes, frameHeaderLength } from '../../../src/transport/frame-bytes.js'
import { scanFrames } from '../../../src/transport/frame-scan.js'
import { FrameCodec, encodeFrame, encodePayload, validateFrame } from '../../../src/transport/frame-codec.js'
import type { Frame } from '../../../src/transport/protocol.js'

function protocolError(run: () => unknown): FlakelineError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(FlakelineError)
    expect((error as FlakelineError).code).toBe(ErrorCodes.PROTOCOL)
    return error as FlakelineError
  }
  throw new Error('expected a protocol error')
}

const result = { run: 'r1', fileId: 'tests/a.test.js', name: 'adds > numbers', status: 'passed', durationMs: 3.5, location: { line: 7, column: 3 } }

describe('frames on the wire', () => {
  test('a plain frame decodes back to itself, several to one message', () => {
    const codec = new FrameCodec()
    const frames: Frame[] = [
      ['results', 1, 'test', result],
      ['run', 2, 'run.end', { status: 'failed', deadlines: null }],
      ['control', 3, 'ping', null],
    ]
    expect(codec.decode(encodeFrame(frames[0]!))).toEqual([frames[0]])
    expect(new FrameCodec().decode(new FrameCodec().encode(frames))).toEqual(frames)
  })

  test('records: a codec pair shares structures along one connection, and a new pair starts over', () => {
    const sender = new FrameCodec({ records: true })
    const receiver = new FrameCodec()
    const first = sender.encode([['results', 1, 'test', result]])
    const second = sender.encode([['results', 2, 'test', { ...result, name: 'second' }]])
    // The second frame refers to the structure the first defined: smaller, and unreadable alone.
    expect(second.length).toBeLessThan(first.length)
    expect(receiver.decode(first)[0]![3]).toEqual(result)
    expect(receiver.decode(second)[0]![3]).toEqual({ ...result, name: 'second' })
    expect(() => new FrameCodec().decode(second)).toThrow()
    const fresh = new FrameCodec({ records: true }).encode([['results', 3, 'test', result]])
    expect(new FrameCodec().decode(fresh)[0]![3]).toEqual(result)
  })

  const garbage: Array<[string, Uint8Array, string, string?]> = [
    ['an empty message', new Uint8Array(0), 'empty message'],
    ['the never-used byte 0xc1', new Uint8Array([0xc1]), 'must be an array', 'the byte 0xc1 is never used'],
    ['a truncated array', new Uint8Array([0x94, 0xa3]), 'not MessagePack'],
    ['a map', encodeFrame({ channel: 'run' } as unknown as Frame), 'must be an array'],
    ['three elements', new Packr({ useRecords: false }).pack(['run', 1, 'x']), 'must be an array'],
    ['an unknown channel', encodeFrame(['nope', 1, 'x', null] as unknown as Frame), 'unknown channel "nope"'],
    ['a negative seq', encodeFrame(['run', -1, 'x', null]), 'seq must be a non-negative integer'],
    ['a fractional seq', encodeFrame(['run', 1.5, 'x', null]), 'seq must be a non-negative integer'],
    ['a type with markup', encodeFrame(['run', 1, '<b>', null]), 'bad frame type'],
    ['a type that is not a string', new Packr({ useRecords: false }).pack(['run', 1, 7, null]), 'bad frame type'],
  ]

  test.each(garbage)('%s is a protocol error, for the full decoder and the hub\'s scanner alike', (_what, bytes, message, scannerMessage) => {
    expect(protocolError(() => new FrameCodec().decode(bytes)).message).toContain(message)
    expect(protocolError(() => scanFrames(bytes)).message).toContain(scannerMessage ?? message)
  })

  test('validateFrame accepts dotted lowercase types up to 64 characters', () => {
    expect(validateFrame(['run', 0, 'run.start', {}])).toEqual(['run', 0, 'run.start', {}])
    expect(() => validateFrame(['run', 0, `a${'b'.repeat(64)}`, {}])).toThrow(FlakelineError)
  })
})

describe('frame headers at the byte level', () => {
  const seqs = [0, 127, 128, 255, 256, 65_535, 65_536, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER]
  const types = ['x', 'test', 'a'.repeat(31), 'b'.repeat(32), 'c'.repeat(64)]

  test.each(seqs)('header + payload bytes equal msgpackr\'s encoding of the whole frame (seq %d)', (seq) => {
    for (const type of types) {
      const payload = encodePayload(result)
      const whole = encodeFrame(['results', seq, type, result])
      expect(Buffer.from(frameBytes('results', seq, type, payload))).toEqual(Buffer.from(whole))
      expect(frameHeaderLength('results', seq, type)).toBe(whole.length - payload.length)
    }
  })

})

describe("the hub's frame scanner", () => {
  test('finds every frame and its payload bytes, whatever msgpackr wrote', () => {
    const value = fc.oneof(fc.jsonValue(), fc.uint8Array(), fc.date({ noInvalidDate: true }), fc.double(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('run', 'results', 'console', 'control'), fc.maxSafeNat(), fc.stringMatching(/^[a-z][a-z0-9.]{0,40}$/), value), { minLength: 1, maxLength: 5 }),
        (frames) => {
          const message = Buffer.concat(frames.map((frame) => encodeFrame(frame as Frame)))
          const scanned = scanFrames(message)
          expect(scanned.map((frame) => [frame.channel, frame.seq, frame.type])).toEqual(frames.map(([channel, seq, type]) => [channel, seq, type]))
          scanned.forEach((frame, index) => {
            expect(Buffer.from(message.subarray(frame.payloadStart, frame.payloadEnd))).toEqual(Buffer.from(encodePayload(frames[index]![3])))
          })
        },
      ),
      { numRuns: 300 },
    )
  })

  test('every truncation of a valid message is refused, never misread', () => {
    const message = Buffer.concat([encodeFrame(['results', 300, 'test', result]), encodeFrame(['run', 1, 'run.end', { list: [1, 'two', { three: 3 }], bytes: new Uint8Array(40) }])])
    for (let length = 1; length < message.length; length++) {
      if (length === encodeFrame(['results', 300, 'test', result]).length) continue
      expect(() => scanFrames(message.subarray(0, length))).toThrow(FlakelineError)
    }
  })

  test('refuses msgpackr records from a publisher: their payloads mean nothing outside its connection', () => {
    const recorded = new FrameCodec({ records: true }).encode([['results', 1, 'test', result]])
    expect(protocolError(() => scanFrames(recorded)).message).toContain('msgpackr records are not accepted from publishers')
  })
})

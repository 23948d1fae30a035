import { describe, expect, test } from 'vitest'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { LengthPrefixDecoder, withLengthPrefix } from '../../../src/transport/length-prefix.js'

const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0).fill(0), new Uint8Array(300).fill(7), new Uint8Array([9])]
const stream = Buffer.concat(messages.map(withLengthPrefix))

describe('length-prefixed messages on a byte stream', () => {
  test('whatever the chunking, the same messages come out', () => {
    for (let size = 1; size <= stream.length; size += size < 10 ? 1 : 37) {
      const decoder = new LengthPrefixDecoder(1024)
      const out: Uint8Array[] = []
      for (let offset = 0; offset < stream.length; offset += size) out.push(...decoder.push(stream.subarray(offset, offset + size)))
      expect(out.map((message) => Buffer.from(message))).toEqual(messages.map((message) => Buffer.from(message)))
      expect(decoder.pendingBytes).toBe(0)
    }
  })

  test('an oversized length is refused before its bytes are buffered', () => {
    const decoder = new LengthPrefixDecoder(100)
    const header = withLengthPrefix(new Uint8Array(101)).subarray(0, 4)
    try {
      decoder.push(header)
      throw new Error('expected a protocol error')
    } catch (error) {
      expect((error as FlakelineError).code).toBe(ErrorCodes.PROTOCOL)
      expect((error as Error).message).toContain('101 bytes is over the limit of 100')
    }
  })
})

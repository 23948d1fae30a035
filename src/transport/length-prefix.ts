import { ErrorCodes, FlakelineError } from '../errors.js'

/** Bytes of the length prefix: a 32-bit big-endian message length. */
const PREFIX = 4

/** Frames a message for a byte stream (a QUIC stream): 4-byte big-endian length, then the message. */
export function withLengthPrefix(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREFIX + message.length)
  new DataView(out.buffer).setUint32(0, message.length)
  out.set(message, PREFIX)
  return out
}

/**
 * Splits a byte stream back into messages. The length is checked against `maxMessageBytes`
 * before any of the message is buffered, so a peer cannot make us hold more than that.
 */
export class LengthPrefixDecoder {
  private readonly maxMessageBytes: number
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes
  }

  /** Bytes received but not yet part of a whole message. */
  get pendingBytes(): number {
    return this.buffered
  }

  /** Adds received bytes; returns the messages they complete. Throws `FLAKELINE_E_PROTOCOL` for an oversized one. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return []
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const messages: Uint8Array[] = []
    for (;;) {
      if (this.buffered < PREFIX) break
      const head = this.peek(PREFIX)
      const length = new DataView(head.buffer, head.byteOffset, PREFIX).getUint32(0)
      if (length > this.maxMessageBytes) {
        throw new FlakelineError(ErrorCodes.PROTOCOL, `a message of ${length} bytes is over the limit of ${this.maxMessageBytes} bytes`)
      }
      if (this.buffered < PREFIX + length) break
      messages.push(this.read(PREFIX + length).subarray(PREFIX))
    }
    return messages
  }

  private peek(count: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.length >= count) return first.subarray(0, count)
    return this.gather(count, false)
  }

  private read(count: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.length === count) {
      this.chunks.shift()
      this.buffered -= count
      return first
    }
    if (first.length > count) {
      this.chunks[0] = first.subarray(count)
      this.buffered -= count
      return first.subarray(0, count)
    }
    return this.gather(count, true)
  }

  private gather(count: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(count)
    let offset = 0
    let index = 0
    while (offset < count) {
      const chunk = this.chunks[index]!
      const take = Math.min(chunk.length, count - offset)
      out.set(chunk.subarray(0, take), offset)
      offset += take
      if (consume) {
        if (take === chunk.length) this.chunks.shift()
        else this.chunks[0] = chunk.subarray(take)
      } else index++
    }
    if (consume) this.buffered -= count
    return out
  }
}

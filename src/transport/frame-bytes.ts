/**
 * Frames at the byte level, so the hub can forward a payload without encoding it again: a frame is
 * a 4-element MessagePack array, and only its header (channel, seq, type) changes between the
 * publisher's numbering and the hub's.
 */

const textEncoder = new TextEncoder()

function strHeaderLength(length: number): number {
  return length < 32 ? 1 : length < 256 ? 2 : length < 65536 ? 3 : 5
}

function uintLength(value: number): number {
  return value < 128 ? 1 : value < 256 ? 2 : value < 65536 ? 3 : value <= 0xffffffff ? 5 : 9
}

/** Bytes of the header `[channel, seq, type,` of a frame (channel and type are ASCII). */
export function frameHeaderLength(channel: string, seq: number, type: string): number {
  return 1 + strHeaderLength(channel.length) + channel.length + uintLength(seq) + strHeaderLength(type.length) + type.length
}

/** Channel names and frame types are a handful of short ASCII words: encode each once. */
const encodedWords = new Map<string, Uint8Array>()

function writeStr(target: Uint8Array, offset: number, text: string): number {
  let encoded = encodedWords.get(text)
  if (!encoded) {
    encoded = textEncoder.encode(text)
    if (encodedWords.size < 1024) encodedWords.set(text, encoded)
  }
  const length = encoded.length
  if (length < 32) target[offset++] = 0xa0 | length
  else if (length < 256) {
    target[offset++] = 0xd9
    target[offset++] = length
  } else {
    target[offset++] = 0xda
    target[offset++] = length >> 8
    target[offset++] = length & 0xff
  }
  target.set(encoded, offset)
  return offset + length
}

function writeBigEndian(target: Uint8Array, offset: number, value: number, bytes: number): number {
  for (let index = bytes - 1; index >= 0; index--) {
    target[offset + index] = value % 256
    value = Math.floor(value / 256)
  }
  return offset + bytes
}

const float64Bytes = new Uint8Array(8)
const float64 = new DataView(float64Bytes.buffer)

function writeUint(target: Uint8Array, offset: number, value: number): number {
  if (value < 128) {
    target[offset] = value
    return offset + 1
  }
  if (value < 256) {
    target[offset] = 0xcc
    target[offset + 1] = value
    return offset + 2
  }
  if (value < 65536) {
    target[offset] = 0xcd
    return writeBigEndian(target, offset + 1, value, 2)
  }
  if (value <= 0xffffffff) {
    target[offset] = 0xce
    return writeBigEndian(target, offset + 1, value, 4)
  }
  // Like msgpackr: integers past 32 bits go as a float64, exact up to 2^53.
  target[offset] = 0xcb
  float64.setFloat64(0, value)
  target.set(float64Bytes, offset + 1)
  return offset + 9
}

/** Writes `[channel, seq, type,` at `offset`; the payload's bytes follow. Returns the offset after it. */
export function writeFrameHeader(target: Uint8Array, offset: number, channel: string, seq: number, type: string): number {
  target[offset++] = 0x94
  offset = writeStr(target, offset, channel)
  offset = writeUint(target, offset, seq)
  return writeStr(target, offset, type)
}

/** A whole frame from its header fields and its payload's MessagePack bytes. */
export function frameBytes(channel: string, seq: number, type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameHeaderLength(channel, seq, type) + payload.length)
  out.set(payload, writeFrameHeader(out, 0, channel, seq, type))
  return out
}

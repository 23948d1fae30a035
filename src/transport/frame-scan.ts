import { ErrorCodes, FlakelineError } from '../errors.js'
import { quotedText } from '../identity.js'
import { CHANNELS, type Channel } from './protocol.js'

/** A frame located in a message without decoding its payload. */
export interface ScannedFrame {
  channel: Channel
  seq: number
  type: string
  /** The payload's bytes are `message[payloadStart, payloadEnd)`. */
  payloadStart: number
  payloadEnd: number
}

/** msgpackr's record structure definitions: meaningful only inside the connection that sent them. */
const RECORD_DEFINITION = 0x72
/**
 * The extensions a payload may hold: msgpackr decodes both from their own bytes, 0 is what it writes
 * for `undefined` and -1 (0xff) is a timestamp. Others (errors, regexps, sets, typed arrays,
 * references) go on reading the values after them, or fail, so the hub and its subscribers would
 * not agree on where a value ends.
 */
const UNDEFINED_EXTENSION = 0x00
const TIMESTAMP_EXTENSION = 0xff
/**
 * Nesting a payload may have. Live payloads nest a few levels; msgpackr decodes and encodes
 * recursively, so a deeper payload could overflow the stack of a subscriber or of the hub
 * re-encoding it as records.
 */
export const MAX_PAYLOAD_DEPTH = 64
const TYPE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS)

function invalid(message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.PROTOCOL, message)
}

function uint(bytes: Uint8Array, offset: number, count: number): number {
  if (offset + count > bytes.length) throw invalid('not MessagePack: the message ends inside a value')
  let value = 0
  for (let index = 0; index < count; index++) value = value * 256 + bytes[offset + index]!
  return value
}

function checkExtension(type: number | undefined): void {
  if (type === RECORD_DEFINITION) throw invalid('msgpackr records are not accepted from publishers; send plain MessagePack')
  if (type !== undefined && type !== UNDEFINED_EXTENSION && type !== TIMESTAMP_EXTENSION) {
    throw invalid(`a MessagePack extension of type ${type} is not accepted from publishers; send plain MessagePack`)
  }
}

/**
 * Values still owed by each open container (a map owes its keys and its values) and whether it is a
 * map. Counts fit 32 bits: a container claiming more values than bytes are left is refused first.
 */
const owed = new Int32Array(MAX_PAYLOAD_DEPTH + 1)
const isMap = new Uint8Array(MAX_PAYLOAD_DEPTH + 1)

const TRUNCATED = 'not MessagePack: the message ends inside a value'

/**
 * The end of the MessagePack value starting at `offset`, walking its structure without building
 * it. Throws for truncated data, the never-used byte 0xc1, msgpackr record definitions (publishers
 * send plain MessagePack), other extensions than undefined and timestamps, map keys msgpackr
 * cannot make a property name of, and nesting deeper than `MAX_PAYLOAD_DEPTH`: whatever it
 * accepts, `decodePayload` decodes.
 */
export function skipValue(bytes: Uint8Array, offset: number, end: number): number {
  let remaining = 1
  let depth = 0
  owed[0] = 1
  isMap[0] = 0
  while (remaining > 0) {
    // Every value takes at least one byte: more values owed than bytes left is a truncation.
    if (remaining > end - offset) throw invalid(TRUNCATED)
    let left = owed[depth]!
    while (left === 0) left = owed[--depth]!
    owed[depth] = left - 1
    remaining--
    const byte = bytes[offset]!
    // Scalars first: they are most values, and any of them may be a map key.
    if (byte <= 0x7f || byte >= 0xe0 || byte === 0xc0 || byte === 0xc2 || byte === 0xc3) {
      offset += 1
      continue
    }
    if (byte >= 0xa0 && byte <= 0xbf) {
      offset += 1 + (byte & 0x1f)
      if (offset > end) throw invalid(TRUNCATED)
      continue
    }
    let count = 0
    let map = false
    let plain = true
    if (byte <= 0x8f) {
      count = 2 * (byte & 0x0f)
      map = true
      plain = false
      offset += 1
    } else if (byte <= 0x9f) {
      count = byte & 0x0f
      plain = false
      offset += 1
    } else {
      switch (byte) {
        case 0xc1:
          throw invalid('not MessagePack: the byte 0xc1 is never used')
        case 0xc4:
        case 0xd9:
          plain = byte === 0xd9
          offset += 2 + uint(bytes, offset + 1, 1)
          break
        case 0xc5:
        case 0xda:
          plain = byte === 0xda
          offset += 3 + uint(bytes, offset + 1, 2)
          break
        case 0xc6:
        case 0xdb:
          plain = byte === 0xdb
          offset += 5 + uint(bytes, offset + 1, 4)
          break
        case 0xc7:
        case 0xc8:
        case 0xc9: {
          const size = byte === 0xc7 ? 1 : byte === 0xc8 ? 2 : 4
          checkExtension(bytes[offset + 1 + size])
          plain = false
          offset += 2 + size + uint(bytes, offset + 1, size)
          break
        }
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          checkExtension(bytes[offset + 1])
          plain = false
          offset += 2 + 2 ** (byte - 0xd4)
          break
        case 0xca:
        case 0xce:
        case 0xd2:
          offset += 5
          break
        case 0xcb:
        case 0xcf:
        case 0xd3:
          offset += 9
          break
        case 0xcc:
        case 0xd0:
          offset += 2
          break
        case 0xcd:
        case 0xd1:
          offset += 3
          break
        case 0xdc:
        case 0xdd: {
          const size = byte === 0xdc ? 2 : 4
          count = uint(bytes, offset + 1, size)
          plain = false
          offset += 1 + size
          break
        }
        default: {
          const size = byte === 0xde ? 2 : 4
          count = 2 * uint(bytes, offset + 1, size)
          map = true
          plain = false
          offset += 1 + size
        }
      }
    }
    if (offset > end || count > end - offset) throw invalid(TRUNCATED)
    // msgpackr makes property names of strings, numbers, booleans and nil only.
    if (!plain && isMap[depth] === 1 && (left & 1) === 0) {
      throw invalid('a map key that is an array, a map, binary data or an extension is not accepted from publishers')
    }
    if (count > 0) {
      if (depth === MAX_PAYLOAD_DEPTH) throw invalid(`a value nested deeper than ${MAX_PAYLOAD_DEPTH} levels is not accepted from publishers`)
      owed[++depth] = count
      isMap[depth] = map ? 1 : 0
      remaining += count
    }
  }
  return offset
}

/**
 * Channel names and frame types are a handful of short words repeated in every frame: each is
 * turned into a string once and found again by its bytes, so scanning allocates no strings.
 */
const words = new Map<number, Array<{ bytes: Uint8Array; text: string }>>()
const MAX_WORDS = 4096

function wordOf(bytes: Uint8Array, start: number, length: number): string {
  let hash = length
  for (let index = start; index < start + length; index++) hash = (Math.imul(hash, 31) + bytes[index]!) | 0
  const bucket = words.get(hash)
  if (bucket) {
    for (const known of bucket) {
      if (known.bytes.length !== length) continue
      let same = true
      for (let index = 0; index < length && same; index++) same = known.bytes[index] === bytes[start + index]
      if (same) return known.text
    }
  }
  let text = ''
  for (let index = start; index < start + length; index++) text += String.fromCharCode(bytes[index]!)
  if (words.size < MAX_WORDS) {
    const entry = { bytes: bytes.slice(start, start + length), text }
    if (bucket) bucket.push(entry)
    else words.set(hash, [entry])
  }
  return text
}

/** Set by `readWord` and `readSeq`: what they read (they return the offset after it, or -1). */
let word = ''
let seqValue = 0

/** A short string at `offset` into `word`; returns the offset after it, or -1 when it is not one. */
function readWord(bytes: Uint8Array, offset: number, end: number): number {
  const byte = bytes[offset]
  let start: number
  let length: number
  if (byte !== undefined && byte >= 0xa0 && byte <= 0xbf) {
    start = offset + 1
    length = byte & 0x1f
  } else if (byte === 0xd9) {
    start = offset + 2
    length = bytes[offset + 1] ?? 0
  } else return -1
  if (start + length > end) return -1
  word = wordOf(bytes, start, length)
  return start + length
}

/** A non-negative integer at `offset` into `seqValue` (msgpackr writes those past 32 bits as a float64, exact to 2^53); -1 when it is not one. */
function readSeq(bytes: Uint8Array, offset: number, end: number): number {
  const byte = bytes[offset]
  if (byte === undefined) return -1
  if (byte <= 0x7f) {
    seqValue = byte
    return offset + 1
  }
  // Not 0xcf: msgpackr decodes a uint64 as a BigInt, which the full decoder refuses as a seq.
  const size = byte === 0xcc ? 1 : byte === 0xcd ? 2 : byte === 0xce ? 4 : 0
  if (size > 0) {
    if (offset + 1 + size > end) return -1
    seqValue = uint(bytes, offset + 1, size)
    return offset + 1 + size
  }
  if (byte === 0xcb && offset + 9 <= end) {
    const value = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 8).getFloat64(0)
    if (!Number.isSafeInteger(value) || value < 0) return -1
    seqValue = value
    return offset + 9
  }
  return -1
}

/**
 * Finds the frames of a message (frames back to back) and checks their headers, walking each
 * payload only to find where it ends: a hub forwards payloads without decoding them. Throws
 * `FLAKELINE_E_PROTOCOL` with the same messages as a full decode.
 */
export function scanFrames(message: Uint8Array): ScannedFrame[] {
  if (message.length === 0) throw invalid('an empty message carries no frame')
  const frames: ScannedFrame[] = []
  const end = message.length
  let offset = 0
  while (offset < end) {
    const first = message[offset]!
    const isFour = first === 0x94 || (first === 0xdc && uint(message, offset + 1, 2) === 4) || (first === 0xdd && uint(message, offset + 1, 4) === 4)
    if (!isFour) {
      skipValue(message, offset, end)
      throw invalid('a frame must be an array [channel, seq, type, payload]')
    }
    let cursor = readWord(message, offset + (first === 0x94 ? 1 : first === 0xdc ? 3 : 5), end)
    if (cursor < 0 || !CHANNEL_SET.has(word)) {
      const what = cursor < 0 ? 'that is not a string' : quotedText(word)
      skipValue(message, offset, end)
      throw invalid(`unknown channel ${what} (channels: ${CHANNELS.join(', ')})`)
    }
    const channel = word as Channel
    cursor = readSeq(message, cursor, end)
    if (cursor < 0) throw invalid('a frame seq must be a non-negative integer')
    const seq = seqValue
    cursor = readWord(message, cursor, end)
    if (cursor < 0 || !TYPE_PATTERN.test(word)) throw invalid(`bad frame type ${cursor < 0 ? 'that is not a string' : quotedText(word)}`)
    const type = word
    const payloadEnd = skipValue(message, cursor, end)
    frames.push({ channel, seq, type, payloadStart: cursor, payloadEnd })
    offset = payloadEnd
  }
  return frames
}

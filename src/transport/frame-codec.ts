import { Packr, Unpackr } from 'msgpackr'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { quotedText } from '../identity.js'
import { CHANNELS, type Frame } from './protocol.js'

/** Frame types are short lowercase words, optionally dotted (`run.start`). */
const TYPE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/

/** Plain MessagePack (maps, no msgpackr records) that any MessagePack library reads. Stateless, so shared. */
const plainPackr = new Packr({ useRecords: false, variableMapSize: true })

/** Encodes one frame as plain MessagePack. The bytes can be sent on any connection. */
export function encodeFrame(frame: Frame): Uint8Array {
  return plainPackr.pack(frame)
}

const plainUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })

/** Decodes a payload sent as plain MessagePack (what a hub forwards without decoding). */
export function decodePayload(bytes: Uint8Array): unknown {
  return plainUnpackr.unpack(bytes)
}

/** Encodes a payload alone as plain MessagePack (a copy: msgpackr reuses its buffer). */
export function encodePayload(payload: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(plainPackr.pack(payload))
}

function protocolError(message: string, cause?: unknown): FlakelineError {
  return new FlakelineError(ErrorCodes.PROTOCOL, message, { cause })
}

/** A header field a peer sent, as a message shows it: strings quoted and bounded, anything else named. */
function shown(value: unknown): string {
  if (typeof value === 'string') return quotedText(value)
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'a map'
}

/**
 * Checks that a decoded value is a frame: a 4-element array of a known channel, a non-negative
 * integer sequence number and a type word. The payload is left to the receiver.
 */
export function validateFrame(value: unknown): Frame {
  if (!Array.isArray(value) || value.length !== 4) throw protocolError('a frame must be an array [channel, seq, type, payload]')
  const [channel, seq, type] = value as unknown[]
  if (typeof channel !== 'string' || !(CHANNELS as readonly string[]).includes(channel)) {
    throw protocolError(`unknown channel ${shown(channel)} (channels: ${CHANNELS.join(', ')})`)
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw protocolError('a frame seq must be a non-negative integer')
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) throw protocolError(`bad frame type ${shown(type)}`)
  return value as Frame
}

/**
 * One connection's (or one QUIC stream's) codec: a configured msgpackr `Unpackr` for what arrives,
 * and, when the peer asked for msgpackr records, a sequential `Packr` for what leaves. Records
 * refer to structures defined earlier on the same connection, so a codec never outlives its
 * connection: a reconnect makes a new one, which resets the shared structures on both sides.
 */
export class FrameCodec {
  readonly records: boolean
  private readonly packr: Packr | null
  private readonly unpackr = new Unpackr({ sequential: true, mapsAsObjects: true })

  constructor(options: { records?: boolean } = {}) {
    this.records = options.records ?? false
    this.packr = this.records ? new Packr({ sequential: true }) : null
  }

  /** Encodes frames back to back into one message, with records when the peer asked for them. */
  encode(frames: readonly Frame[]): Uint8Array {
    if (frames.length === 1 && !this.packr) return encodeFrame(frames[0]!)
    return concat(frames.map((frame) => (this.packr ? this.packr.pack(frame) : encodeFrame(frame))))
  }

  /** Decodes one message (one or more frames back to back). Throws `FLAKELINE_E_PROTOCOL` on anything else. */
  decode(message: Uint8Array): Frame[] {
    if (message.length === 0) throw protocolError('an empty message carries no frame')
    let values: unknown[]
    try {
      values = this.unpackr.unpackMultiple(message) as unknown[]
    } catch (error) {
      throw protocolError(`not MessagePack: ${quotedText(error instanceof Error ? error.message : String(error))}`, error)
    }
    return values.map(validateFrame)
  }

}

/** Concatenates byte arrays into one. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

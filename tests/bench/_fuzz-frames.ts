// Fuzz target: the live protocol's decoders. Each message goes through everything that reads bytes
// from a peer: the full decoder (FrameCodec), the hub's scanner (scanFrames) and what the hub later
// does with what it accepted (payloads decoded on demand, console lines coalesced, frames forwarded
// plain or as msgpackr records), and the QUIC stream's length-prefix decoder.
import { ErrorCodes } from '../../dist/src/errors.js'
import { ChannelLog, NOT_DECODED, payloadOf } from '../../dist/src/transport/channel-log.js'
import { frameBytes, writeFrameHeader, frameHeaderLength } from '../../dist/src/transport/frame-bytes.js'
import { FrameCodec, decodePayload, encodeFrame } from '../../dist/src/transport/frame-codec.js'
import { scanFrames } from '../../dist/src/transport/frame-scan.js'
import { LengthPrefixDecoder, withLengthPrefix } from '../../dist/src/transport/length-prefix.js'
import { CHANNELS, DATA_CHANNELS, type DataChannel, type Frame } from '../../dist/src/transport/protocol.js'
import { SubscriberQueue, plainMessage } from '../../dist/src/transport/subscriber-queue.js'
import { check, coded, type FuzzTarget } from './_fuzz-harness.js'
import { Random, hostileBytes, hostileString, mutateBytes, plainValue, sameValue, word } from './_fuzz-random.js'

const CODES = [ErrorCodes.PROTOCOL]
const TYPE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789._-'

function frameType(r: Random): string {
  const length = r.pick([0, 0, 3, 8, 30, 31, 63])
  let type = String.fromCharCode(97 + r.int(26))
  for (let i = 0; i < length; i++) type += TYPE_CHARS[r.int(TYPE_CHARS.length)]
  return type
}

function seq(r: Random): number {
  return r.chance(0.7) ? r.int(1_000) : r.pick([0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER])
}

/** A payload as the live publisher sends them, often a console line so the hub's coalescing runs. */
function payload(r: Random, channel: string): unknown {
  if (channel === 'console' && r.chance(0.7)) {
    return { run: r.pick(['r1', 'r2']), fileId: r.pick(['tests/a.test.ts', 'tests/b.test.ts']), stream: r.pick(['stdout', 'stderr']), text: `${word(r)}\n`, ...(r.chance(0.2) ? { coalesced: r.range(1, 5) } : {}) }
  }
  return plainValue(r)
}

function validFrame(r: Random): Frame {
  const channel = r.chance(0.4) ? 'console' : r.pick(CHANNELS)
  return [channel, seq(r), frameType(r), payload(r, channel)] as Frame
}

function validMessage(r: Random): Uint8Array {
  const frames = Array.from({ length: r.range(1, 4) }, () => validFrame(r))
  return r.chance(0.15) ? new FrameCodec({ records: true }).encode(frames) : new FrameCodec().encode(frames)
}

/** Hostile strings as frame types and channels, from a peer that does not check them. */
function hostileHeader(r: Random): Uint8Array {
  return encodeFrame([r.chance(0.5) ? r.pick(CHANNELS) : hostileString(r), r.chance(0.8) ? seq(r) : r.pick([-1, 0.5, Number.NaN, 2 ** 64]), hostileString(r), plainValue(r)] as unknown as Frame)
}

/** Random bytes, a mutated valid message, hostile header strings, or a valid header with a hostile payload. */
function hostileMessage(r: Random): Uint8Array {
  const roll = r.int(10)
  if (roll < 2) return r.bytes(r.chance(0.9) ? r.size(300) : r.range(1_000, 4_096))
  if (roll < 7) return mutateBytes(r, validMessage(r), validMessage(r))
  if (roll === 7) return r.chance(0.5) ? hostileHeader(r) : mutateBytes(r, hostileHeader(r))
  const channel = r.pick(CHANNELS)
  const type = frameType(r)
  const n = seq(r)
  const header = new Uint8Array(frameHeaderLength(channel, n, type))
  writeFrameHeader(header, 0, channel, n, type)
  const tail = r.chance(0.5) ? encodeFrame(validFrame(r)) : new Uint8Array(0)
  const body = hostileBytes(r)
  const out = new Uint8Array(header.length + body.length + tail.length)
  out.set(header)
  out.set(body, header.length)
  out.set(tail, header.length + body.length)
  return out
}

/**
 * What the hub does with a message it accepted: logs the data frames undecoded, lets a lagging
 * subscriber take them (coalescing console lines, which decodes them) and forwards them, plain and
 * as msgpackr records. Every forwarded message must decode for the subscriber.
 */
function forwardLikeTheHub(r: Random, message: Uint8Array, scanned: ReturnType<typeof scanFrames>): void {
  const limits = { maxFrames: r.pick([2, 4, 16]), maxBytes: r.pick([256, 4_096, 1 << 20]) }
  const logs = new Map<DataChannel, ChannelLog>(DATA_CHANNELS.map((channel) => [channel, new ChannelLog(channel, limits)]))
  const queue = new SubscriberQueue(logs, { maxLagFrames: 1_000, maxConsoleLag: r.pick([2, 8]), coalesceConsoleLag: r.pick([0, 1, 3]) })
  for (const channel of DATA_CHANNELS) queue.subscribe(channel, 0)
  let order = 0
  for (const frame of scanned) {
    if (frame.channel === 'control') continue
    logs.get(frame.channel)!.append(frame.type, NOT_DECODED, message.slice(frame.payloadStart, frame.payloadEnd), order++)
  }
  const records = new FrameCodec({ records: true })
  const receiver = new FrameCodec()
  for (let round = 0; round < 20; round++) {
    const batch = queue.take(r.pick([64, 4_096]))
    if (batch.length === 0) break
    const plain = plainMessage(batch)
    const forwarded = coded(CODES, 'a subscriber decoding a forwarded message', () => new FrameCodec().decode(plain))
    check('value' in forwarded, `the hub forwards a message its subscribers cannot decode (${'code' in forwarded ? forwarded.code : ''})`)
    const encoded = records.encode(batch.map((frame): Frame => [frame.channel, frame.seq, frame.type, payloadOf(frame)]))
    const decoded = coded(CODES, 'a records subscriber decoding', () => receiver.decode(encoded))
    check('value' in decoded, 'the hub forwards records its subscribers cannot decode')
  }
}

/** Feeds `bytes` to a length-prefix decoder in random chunks; it may refuse, never hold more than its bound. */
function lengthPrefixed(r: Random, bytes: Uint8Array): void {
  const max = r.pick([8, 256, 1 << 20])
  const decoder = new LengthPrefixDecoder(max)
  let at = 0
  while (at < bytes.length) {
    const next = Math.min(bytes.length, at + 1 + r.int(bytes.length))
    const pushed = coded(CODES, 'LengthPrefixDecoder.push', () => decoder.push(bytes.subarray(at, next)))
    if ('code' in pushed) return
    for (const message of pushed.value) check(message.length <= max, 'the length-prefix decoder returned a message over its bound')
    check(decoder.pendingBytes < 4 + max, () => `the length-prefix decoder holds ${decoder.pendingBytes} bytes with a bound of ${max}`)
    at = next
  }
}

function decodeHostile(r: Random): string {
  const message = hostileMessage(r)
  const decoded = coded(CODES, 'FrameCodec.decode', () => new FrameCodec().decode(message))
  const scanned = coded(CODES, 'scanFrames', () => scanFrames(message))
  if ('value' in scanned) {
    // The hub forwards what its scanner accepts without decoding it: each payload must decode later.
    for (const frame of scanned.value) {
      const bytes = message.subarray(frame.payloadStart, frame.payloadEnd)
      const payload = coded(CODES, 'decodePayload of a scanned payload', () => decodePayload(bytes))
      check('value' in payload, 'the scanner accepted a payload the decoder refuses')
      check(Number.isSafeInteger(frame.seq), () => `the scanner accepted seq ${frame.seq}, which the decoder refuses`)
    }
    check('value' in decoded, () => `the scanner accepted a message the decoder refuses (${'code' in decoded ? decoded.code : ''})`)
    forwardLikeTheHub(r, message, scanned.value)
  }
  lengthPrefixed(r, message)
  return 'value' in decoded ? 'ok' : decoded.code
}

/** Valid frames: encode then decode is the identity, scanner and decoder agree, prefixes split back. */
function roundTrip(r: Random): string {
  const frames = Array.from({ length: r.range(1, 4) }, () => validFrame(r))
  switch (r.int(3)) {
    case 0: {
      const message = new FrameCodec().encode(frames)
      check(sameValue(new FrameCodec().decode(message), frames), 'decode(encode(frames)) is not the frames')
      const scanned = scanFrames(message)
      check(scanned.length === frames.length, 'the scanner found another number of frames')
      scanned.forEach((frame, i) => {
        const [channel, n, type, value] = frames[i]!
        check(frame.channel === channel && frame.seq === n && frame.type === type, 'the scanner read another header')
        const bytes = message.subarray(frame.payloadStart, frame.payloadEnd)
        check(sameValue(decodePayload(bytes), value), 'a scanned payload decodes to another value')
        check(Buffer.from(frameBytes(channel, n, type, bytes)).equals(Buffer.from(encodeFrame(frames[i]!))), 'frameBytes differs from encodeFrame')
      })
      return 'ok'
    }
    case 1: {
      // Records: one codec pair along a connection, messages in order.
      const sender = new FrameCodec({ records: true })
      const receiver = new FrameCodec()
      check(sameValue(receiver.decode(sender.encode(frames)), frames), 'records: decode(encode(frames)) is not the frames')
      const more = [validFrame(r)]
      check(sameValue(receiver.decode(sender.encode(more)), more), 'records: a second message decodes to other frames')
      return 'ok'
    }
    default: {
      // Length prefixes: any split of the stream gives back the messages.
      const messages = frames.map((frame) => (r.chance(0.2) ? new Uint8Array(0) : encodeFrame(frame)))
      const stream = Buffer.concat(messages.map((m) => withLengthPrefix(m)))
      const decoder = new LengthPrefixDecoder(1 << 20)
      const out: Uint8Array[] = []
      for (let at = 0; at < stream.length; ) {
        const next = Math.min(stream.length, at + 1 + r.size(40))
        out.push(...decoder.push(stream.subarray(at, next)))
        at = next
      }
      check(out.length === messages.length && out.every((m, i) => Buffer.from(m).equals(Buffer.from(messages[i]!))), 'length prefix: the stream split back into other messages')
      check(decoder.pendingBytes === 0, 'length prefix: bytes left over after whole messages')
      return 'ok'
    }
  }
}

export const frameTarget: FuzzTarget = {
  name: 'frames',
  what: 'FrameCodec.decode, the hub\'s scanFrames and what it forwards, decodePayload, LengthPrefixDecoder',
  codes: CODES,
  run: (r) => (r.chance(0.25) ? roundTrip(r) : decodeHostile(r)),
}

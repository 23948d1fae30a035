import { frameHeaderLength } from './frame-bytes.js'
import { decodePayload } from './frame-codec.js'
import type { DataChannel } from './protocol.js'

/** One frame as the hub keeps it: numbered, encoded once, shared by every subscriber. */
export interface LoggedFrame {
  channel: DataChannel
  seq: number
  type: string
  /** The payload, or `NOT_DECODED` until `payloadOf` needs it: a hub forwards most frames without decoding them. */
  payload: unknown
  /** The payload as plain MessagePack: subscribers that did not ask for records get it as is, after a header. */
  payloadBytes: Uint8Array
  /** Bytes of the whole frame as plain MessagePack. */
  size: number
  /** Arrival order across all channels of the hub, so one connection can send in arrival order. */
  order: number
}

/** The payload of a frame logged from its bytes alone, until something needs it decoded. */
export const NOT_DECODED: unique symbol = Symbol('not decoded')

/** A logged frame's payload, decoded from its bytes the first time it is needed and kept. */
export function payloadOf(frame: LoggedFrame): unknown {
  if (frame.payload === NOT_DECODED) frame.payload = decodePayload(frame.payloadBytes)
  return frame.payload
}

/** How much one channel's log keeps for replay. */
export interface ChannelLogLimits {
  maxFrames: number
  maxBytes: number
}

/**
 * A channel's bounded replay log: a ring of the newest frames, numbered from 1. A reconnecting
 * subscriber asks for everything after the last seq it saw and is served from here; what fell out
 * of the ring is reported as a gap. Memory is bounded by `maxFrames` and `maxBytes`, whatever the
 * subscribers do, because subscribers hold only a position in the log.
 */
export class ChannelLog {
  readonly channel: DataChannel
  private readonly limits: ChannelLogLimits
  private readonly ring: Array<LoggedFrame | undefined>
  private first = 1
  private next = 1
  private bytes = 0

  constructor(channel: DataChannel, limits: ChannelLogLimits) {
    this.channel = channel
    this.limits = limits
    // Filled slot by slot so V8 keeps a packed array (a large `new Array(n)` is a slow dictionary).
    this.ring = []
    for (let slot = 0; slot < limits.maxFrames; slot++) this.ring.push(undefined)
  }

  /** The newest seq, 0 before the first frame. */
  get head(): number {
    return this.next - 1
  }

  /** The oldest seq still kept (head + 1 when the log is empty). */
  get oldest(): number {
    return this.first
  }

  /** Bytes of the frames kept. */
  get size(): number {
    return this.bytes
  }

  /** Appends a frame, numbering it, and evicts the oldest frames over the limits. */
  append(type: string, payload: unknown, payloadBytes: Uint8Array, order: number): LoggedFrame {
    const seq = this.next++
    const size = frameHeaderLength(this.channel, seq, type) + payloadBytes.length
    const logged: LoggedFrame = { channel: this.channel, seq, type, payload, payloadBytes, size, order }
    const slot = seq % this.limits.maxFrames
    if (this.ring[slot]) this.evictOldest()
    this.ring[slot] = logged
    this.bytes += size
    while (this.bytes > this.limits.maxBytes && this.first < logged.seq) this.evictOldest()
    return logged
  }

  private evictOldest(): void {
    const slot = this.first % this.limits.maxFrames
    const frame = this.ring[slot]
    if (frame) this.bytes -= frame.size
    this.ring[slot] = undefined
    this.first++
  }

  /** The frame numbered `seq`, if still kept. */
  at(seq: number): LoggedFrame | undefined {
    if (seq < this.first || seq >= this.next) return undefined
    return this.ring[seq % this.limits.maxFrames]
  }
}

import { encodeFrame } from './frame-codec.js'
import type { DataChannel } from './protocol.js'

/** One published frame, numbered by its publisher and encoded once. */
export interface OutboxEntry {
  channel: DataChannel
  seq: number
  bytes: Uint8Array
}

/** How much a publisher keeps for resending. */
export interface OutboxLimits {
  /** Default 100,000 frames. */
  maxFrames: number
  /** Default 64 MiB. */
  maxBytes: number
}

export const DEFAULT_OUTBOX_LIMITS: Readonly<OutboxLimits> = Object.freeze({ maxFrames: 100_000, maxBytes: 64 * 1024 * 1024 })

/**
 * A publisher's bounded memory of what it published: frames are numbered per channel, kept after
 * sending so they can be sent again after a reconnect (the hub skips what it already has), and
 * the oldest are forgotten beyond the limits. While the hub is away nothing but this buffer grows,
 * and it cannot grow past its limits; what falls out before it was sent becomes a gap at the hub.
 */
export class PublisherOutbox {
  private readonly limits: OutboxLimits
  private entries: OutboxEntry[] = []
  /** Index in `entries` of the oldest entry kept (entries before it are spent). */
  private head = 0
  /** Index in `entries` of the next entry to send. */
  private cursor = 0
  private bytes = 0
  private lost = 0
  /** The last seq given out per channel. */
  readonly published: Record<DataChannel, number> = { run: 0, results: 0, console: 0, analysis: 0 }

  constructor(limits: Partial<OutboxLimits> = {}) {
    this.limits = { ...DEFAULT_OUTBOX_LIMITS, ...limits }
  }

  /** Frames forgotten before they could be sent. */
  get lostFrames(): number {
    return this.lost
  }

  /** Frames not yet sent on the current connection. */
  get unsent(): number {
    return this.entries.length - this.cursor
  }

  /** Frames kept. */
  get size(): number {
    return this.entries.length - this.head
  }

  /** Numbers, encodes and keeps one frame. */
  add(channel: DataChannel, type: string, payload: unknown): OutboxEntry {
    const seq = ++this.published[channel]
    const entry = { channel, seq, bytes: encodeFrame([channel, seq, type, payload]) }
    this.entries.push(entry)
    this.bytes += entry.bytes.length
    while (this.size > this.limits.maxFrames || (this.bytes > this.limits.maxBytes && this.size > 1)) {
      const oldest = this.entries[this.head]!
      this.bytes -= oldest.bytes.length
      if (this.cursor === this.head) {
        this.lost++
        this.cursor++
      }
      this.entries[this.head++] = undefined as unknown as OutboxEntry
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.cursor -= this.head
      this.head = 0
    }
    return entry
  }

  /** After a reconnect: send again from the oldest frame the hub does not have (`received`: its last seq per channel). */
  rewind(received: Readonly<Record<DataChannel, number>>): void {
    this.cursor = this.head
    while (this.cursor < this.entries.length && this.entries[this.cursor]!.seq <= received[this.entries[this.cursor]!.channel]) this.cursor++
  }

  /** The next entry to send, without taking it. */
  peek(): OutboxEntry | undefined {
    return this.cursor < this.entries.length ? this.entries[this.cursor] : undefined
  }

  /** Marks the entry `peek` returned as sent. */
  advance(): void {
    this.cursor++
  }
}

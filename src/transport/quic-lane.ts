import { performance } from 'node:perf_hooks'
import { concat } from './frame-codec.js'
import { LengthPrefixDecoder, withLengthPrefix } from './length-prefix.js'
import type { QuicStream } from './quic-api.js'

/** What a lane tells its owner. */
export interface QuicLaneEvents {
  message(message: Uint8Array): void
  /** The lane was full and can take more. */
  drained(): void
  /** The peer sent something unreadable (an oversized message). */
  error(error: unknown): void
  /** The peer finished or reset the stream. */
  ended(): void
}

/**
 * `@matrixai/quic` costs about a millisecond of CPU per stream write on each side (events, abort
 * signals and errors it builds per datagram and per stream), whatever the write's size, so it
 * sustains only a few hundred writes a second. Messages written within this window of the last
 * write go out together as one write: at most this much latency is added, and the library's
 * per-write cost is paid per window, not per message.
 */
const COALESCE_MS = 16

/**
 * One QUIC stream carrying length-prefixed messages both ways. Writes are not awaited by the
 * caller; the bytes quiche has not accepted yet are counted, and `writable` turns false above
 * `highWaterBytes` until they drain, which is how a slow peer pushes back on one channel only.
 */
export class QuicLane {
  readonly stream: QuicStream
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>
  private readonly highWaterBytes: number
  private readonly events: QuicLaneEvents
  private pendingBytes = 0
  private blocked = false
  private last: Promise<void> = Promise.resolve()
  private closed = false
  /** Messages (length-prefixed) waiting for the coalescing window to end. */
  private held: Uint8Array[] = []
  private heldTimer: NodeJS.Timeout | null = null
  private lastWriteAt = -Infinity

  constructor(stream: QuicStream, options: { maxMessageBytes: number; highWaterBytes: number }, events: QuicLaneEvents) {
    this.stream = stream
    this.writer = stream.writable.getWriter()
    this.highWaterBytes = options.highWaterBytes
    this.events = events
    void this.readLoop(new LengthPrefixDecoder(options.maxMessageBytes))
  }

  get writable(): boolean {
    return !this.closed && this.pendingBytes < this.highWaterBytes
  }

  /** Queues one message. */
  write(message: Uint8Array): void {
    if (this.closed) return
    const bytes = withLengthPrefix(message)
    this.pendingBytes += bytes.length
    if (this.pendingBytes >= this.highWaterBytes) this.blocked = true
    this.held.push(bytes)
    if (this.heldTimer) return
    const wait = this.lastWriteAt + COALESCE_MS - performance.now()
    if (wait <= 0) this.writeHeld()
    else this.heldTimer = setTimeout(() => this.writeHeld(), wait)
  }

  private writeHeld(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer)
    this.heldTimer = null
    if (this.held.length === 0) return
    const bytes = this.held.length === 1 ? this.held[0]! : concat(this.held)
    this.held = []
    this.lastWriteAt = performance.now()
    this.last = this.writer.write(bytes).then(
      () => {
        this.pendingBytes -= bytes.length
        if (this.blocked && this.pendingBytes < this.highWaterBytes) {
          this.blocked = false
          this.events.drained()
        }
      },
      () => {
        this.pendingBytes -= bytes.length
      },
    )
  }

  /** Resolves when quiche has accepted everything written so far (held messages are written now). */
  flushed(): Promise<void> {
    this.writeHeld()
    return this.last
  }

  private async readLoop(decoder: LengthPrefixDecoder): Promise<void> {
    const reader = this.stream.readable.getReader()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        for (const message of decoder.push(value)) this.events.message(message)
      }
    } catch (error) {
      if (!this.closed) this.events.error(error)
      return
    } finally {
      reader.releaseLock()
    }
    if (!this.closed) this.events.ended()
  }

  /** Ends the stream after what was written (FIN). Idempotent; never rejects. */
  async close(): Promise<void> {
    if (this.closed) return
    this.writeHeld()
    this.closed = true
    await this.last
    await this.writer.close().catch(() => {})
  }
}

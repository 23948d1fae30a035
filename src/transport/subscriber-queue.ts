import { payloadOf, type ChannelLog, type LoggedFrame } from './channel-log.js'
import { frameHeaderLength, writeFrameHeader } from './frame-bytes.js'
import { encodePayload } from './frame-codec.js'
import { ControlTypes, LOSSLESS_CHANNELS, type DataChannel } from './protocol.js'

/** How far behind a subscriber may fall, and what happens to console output when it does. */
export interface SubscriberLimits {
  /** Frames a subscriber may lag on `run`, `results` and `analysis` together before it counts as slow. */
  maxLagFrames: number
  /** Console frames a subscriber may lag; older ones are dropped with a `dropped` notice. */
  maxConsoleLag: number
  /** Console frames lagging more than this are coalesced (consecutive lines of one file joined). */
  coalesceConsoleLag: number
}

/** A control notice the queue wants the subscriber to see (`gap` or `dropped`). */
export interface QueueNotice {
  type: typeof ControlTypes.GAP | typeof ControlTypes.DROPPED
  payload: { channel: DataChannel; from: number; to: number; count?: number }
}

/** Frames as plain MessagePack, back to back, in one message: header and the payload's bytes as kept. */
export function plainMessage(frames: readonly LoggedFrame[]): Uint8Array {
  let length = 0
  for (const frame of frames) length += frame.size
  const out = new Uint8Array(length)
  let offset = 0
  for (const frame of frames) {
    offset = writeFrameHeader(out, offset, frame.channel, frame.seq, frame.type)
    out.set(frame.payloadBytes, offset)
    offset += frame.payloadBytes.length
  }
  return out
}

/** Coalesced console lines are joined up to this many characters. */
const MAX_COALESCED_TEXT = 64 * 1024

interface ConsolePayload {
  run?: unknown
  fileId?: unknown
  stream?: unknown
  text?: unknown
  coalesced?: unknown
}

/** A console payload as a map, or null: the hub forwards publishers' payloads without checking their shape. */
function consoleLine(payload: unknown): ConsolePayload | null {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as ConsolePayload) : null
}

function linesIn(payload: ConsolePayload): number {
  return typeof payload.coalesced === 'number' && Number.isSafeInteger(payload.coalesced) && payload.coalesced > 0 ? payload.coalesced : 1
}

/**
 * One subscriber's outgoing queue, bounded by construction: it holds a position in each channel's
 * replay log, not copies of frames, so a stalled subscriber costs no memory beyond the shared log.
 * `take` picks what to send next: lossless channels in arrival order, console interleaved while it
 * keeps up, coalesced when it lags, and cut back (with a notice) when it lags too much.
 */
export class SubscriberQueue {
  private readonly logs: ReadonlyMap<DataChannel, ChannelLog>
  private readonly limits: SubscriberLimits
  /** Next seq to send, per subscribed channel. */
  private readonly cursors = new Map<DataChannel, number>()
  readonly notices: QueueNotice[] = []

  constructor(logs: ReadonlyMap<DataChannel, ChannelLog>, limits: SubscriberLimits) {
    this.logs = logs
    this.limits = limits
  }

  /**
   * Subscribes to `channel`. With `since` (the last seq the subscriber has), sending resumes right
   * after it, from the replay log; frames no longer kept become a `gap` notice. Without `since`,
   * only frames published from now on are sent. Returns the first seq that will be sent.
   */
  subscribe(channel: DataChannel, since?: number): number {
    const log = this.logs.get(channel)!
    let cursor = since === undefined ? log.head + 1 : Math.min(since + 1, log.head + 1)
    if (cursor < log.oldest) {
      this.notices.push({ type: ControlTypes.GAP, payload: { channel, from: cursor, to: log.oldest - 1 } })
      cursor = log.oldest
    }
    this.cursors.set(channel, cursor)
    return cursor
  }

  unsubscribe(channel: DataChannel): void {
    this.cursors.delete(channel)
  }

  get channels(): DataChannel[] {
    return Array.from(this.cursors.keys())
  }

  /** Frames waiting on `channel`. */
  lag(channel: DataChannel): number {
    const cursor = this.cursors.get(channel)
    return cursor === undefined ? 0 : this.logs.get(channel)!.head - cursor + 1
  }

  /** Frames waiting on the lossless channels together. */
  losslessLag(): number {
    let lag = 0
    for (const channel of this.cursors.keys()) if (LOSSLESS_CHANNELS.has(channel)) lag += this.lag(channel)
    return lag
  }

  /** Whether the subscriber is slow: more than `maxLagFrames` behind on lossless channels. */
  get slow(): boolean {
    return this.losslessLag() > this.limits.maxLagFrames
  }

  /** A lossless channel on which frames this subscriber still needed fell out of the log, if any. */
  lostFrames(): DataChannel | null {
    for (const [channel, cursor] of this.cursors) {
      if (LOSSLESS_CHANNELS.has(channel) && cursor < this.logs.get(channel)!.oldest) return channel
    }
    return null
  }

  /** Whether anything is waiting on `channel` (or on any channel). */
  pending(channel?: DataChannel): boolean {
    if (channel) return this.lag(channel) > 0
    for (const subscribed of this.cursors.keys()) if (this.lag(subscribed) > 0) return true
    return false
  }

  /**
   * Takes frames to send, up to about `maxBytes`, from `channel` only or from every channel.
   * Returns an empty array when nothing is waiting.
   */
  take(maxBytes: number, channel?: DataChannel): LoggedFrame[] {
    this.trimConsole()
    const out: LoggedFrame[] = []
    let bytes = 0
    while (bytes < maxBytes) {
      const next = channel ? this.peek(channel) : this.pickNext()
      if (!next) break
      const frame = next.channel === 'console' && this.lag('console') > this.limits.coalesceConsoleLag ? this.coalesceConsole() : next
      if (frame === next) this.cursors.set(next.channel, next.seq + 1)
      out.push(frame)
      bytes += frame.size
    }
    return out
  }

  private peek(channel: DataChannel): LoggedFrame | undefined {
    const cursor = this.cursors.get(channel)
    if (cursor === undefined) return undefined
    const log = this.logs.get(channel)!
    if (cursor < log.oldest) {
      // Only console can get here (a lossless channel that lost frames disconnects the subscriber first).
      this.dropConsole(log.oldest)
      return log.at(log.oldest)
    }
    return log.at(cursor)
  }

  /** The lossless frame that arrived first, or console when it keeps up or nothing else waits. */
  private pickNext(): LoggedFrame | undefined {
    let best: LoggedFrame | undefined
    for (const channel of this.cursors.keys()) {
      if (channel === 'console') continue
      const frame = this.peek(channel)
      if (frame && (!best || frame.order < best.order)) best = frame
    }
    const console = this.cursors.has('console') ? this.peek('console') : undefined
    if (!console) return best
    if (!best) return console
    const congested = this.lag('console') > this.limits.coalesceConsoleLag
    return !congested && console.order < best.order ? console : best
  }

  /** Drops console frames beyond `maxConsoleLag`, keeping the newest, with a `dropped` notice. */
  private trimConsole(): void {
    if (this.lag('console') <= this.limits.maxConsoleLag) return
    const log = this.logs.get('console')!
    this.dropConsole(log.head - this.limits.coalesceConsoleLag + 1)
  }

  private dropConsole(newCursor: number): void {
    const from = this.cursors.get('console')!
    if (newCursor <= from) return
    this.notices.push({ type: ControlTypes.DROPPED, payload: { channel: 'console', from, to: newCursor - 1, count: newCursor - from } })
    this.cursors.set('console', newCursor)
  }

  /**
   * Joins consecutive console lines of one run, file and stream into one frame numbered like the
   * last of them, with `coalesced` saying how many lines it holds.
   */
  private coalesceConsole(): LoggedFrame {
    const log = this.logs.get('console')!
    let cursor = this.cursors.get('console')!
    const first = log.at(cursor)!
    const base = consoleLine(payloadOf(first))
    let last = first
    let text = typeof base?.text === 'string' ? base.text : ''
    let count = base ? linesIn(base) : 1
    for (let next = log.at(cursor + 1); base && next && next.type === first.type; next = log.at(cursor + 1)) {
      const payload = consoleLine(payloadOf(next))
      if (!payload || payload.run !== base.run || payload.fileId !== base.fileId || payload.stream !== base.stream || typeof payload.text !== 'string') break
      if (text.length + payload.text.length > MAX_COALESCED_TEXT) break
      text += payload.text
      count += linesIn(payload)
      last = next
      cursor++
    }
    this.cursors.set('console', cursor + 1)
    if (last === first) return first
    const payload = { ...(payloadOf(last) as object), text, coalesced: count }
    const payloadBytes = encodePayload(payload)
    return { ...last, payload, payloadBytes, size: frameHeaderLength('console', last.seq, last.type) + payloadBytes.length }
  }
}

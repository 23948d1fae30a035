import { randomBytes } from 'node:crypto'
import { ErrorCodes } from '../errors.js'
import { NOT_DECODED, payloadOf, type LoggedFrame } from '../transport/channel-log.js'
import { FrameCodec, decodePayload } from '../transport/frame-codec.js'
import { scanFrames } from '../transport/frame-scan.js'
import {
  CloseCodes,
  ControlTypes,
  PROTOCOL_VERSION,
  isDataChannel,
  type Channel,
  type DataChannel,
  type Frame,
} from '../transport/protocol.js'
import { SubscriberQueue, plainMessage } from '../transport/subscriber-queue.js'
import { tokenMatches } from './auth.js'
import type { ChannelHub, PublisherPosition } from './channel-hub.js'
import type { HubLink, LinkEvents } from './hub-link.js'

/** About this many bytes of frames go into one message. */
const BATCH_BYTES = 64 * 1024
const PUBLISHER_ID = /^[A-Za-z0-9._:-]{1,128}$/

class ProtocolViolation extends Error {
  readonly closeCode: number
  constructor(message: string, closeCode: number = CloseCodes.PROTOCOL_ERROR) {
    super(message)
    this.closeCode = closeCode
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ProtocolViolation(`${what} payload must be a map`)
  return value as Record<string, unknown>
}

function dataChannels(value: unknown, what: string): DataChannel[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isDataChannel)) {
    throw new ProtocolViolation(`${what}.channels must be a non-empty list of run, results, console, analysis`)
  }
  return Array.from(new Set(value))
}

/**
 * One client connection, whatever the transport: the hello and token check (when the transport
 * did not check it already), subscriptions with resume, publishing with deduplication, and the
 * pump that moves frames from the subscriber queue to the link as fast as the link takes them.
 * A protocol violation closes this connection only.
 */
export class HubSession implements LinkEvents {
  readonly id = randomBytes(6).toString('hex')
  private readonly hub: ChannelHub
  private readonly link: HubLink
  private readonly expectedToken: string | null
  private readonly onClosed: () => void
  private readonly queue: SubscriberQueue
  private state: 'hello' | 'open' | 'closed' = 'hello'
  private records = false
  private readonly encoders = new Map<Channel, FrameCodec>()
  private controlOut: Frame[] = []
  private controlSeq = 0
  private publisherId: string | null = null
  private publisher: PublisherPosition | null = null
  private scheduled = false
  private slowSince: number | null = null
  private slowTimer: NodeJS.Timeout | null = null
  private helloTimer: NodeJS.Timeout | null

  constructor(hub: ChannelHub, link: HubLink, auth: { authenticated: true } | { authenticated: false; token: string }, onClosed: () => void) {
    this.hub = hub
    this.link = link
    this.expectedToken = auth.authenticated ? null : auth.token
    this.onClosed = onClosed
    this.queue = new SubscriberQueue(hub.logs, hub.options)
    this.helloTimer = setTimeout(() => this.close(CloseCodes.HELLO_TIMEOUT, 'no hello in time'), hub.options.helloTimeoutMs)
    this.helloTimer.unref()
  }

  /** Whether everything published so far was handed to the link (nothing waits in the queue). */
  get idle(): boolean {
    return this.state !== 'open' || (this.controlOut.length === 0 && !this.queue.pending())
  }

  /** The publisher id this connection publishes as, once it said so. */
  get publishing(): string | null {
    return this.publisherId
  }

  receive(_lane: string, message: Uint8Array): void {
    if (this.state === 'closed') return
    try {
      // Headers are checked and payloads located without decoding them: data payloads are
      // forwarded as they came (plain MessagePack), only control payloads are decoded.
      for (const scanned of scanFrames(message)) {
        // A frame may close the session (a wrong token); the rest of the message is ignored.
        if (!this.isOpenOrGreeting()) return
        const bytes = message.subarray(scanned.payloadStart, scanned.payloadEnd)
        if (scanned.channel === 'control') this.handle(scanned.type, decodePayload(bytes))
        else this.publish(scanned.channel, scanned.seq, scanned.type, bytes)
      }
    } catch (error) {
      const violation = error instanceof ProtocolViolation ? error : new ProtocolViolation(error instanceof Error ? error.message : String(error))
      this.fail(violation)
    }
  }

  private isOpenOrGreeting(): boolean {
    return this.state !== 'closed'
  }

  reject(message: string, closeCode: number): void {
    if (this.state !== 'closed') this.fail(new ProtocolViolation(message, closeCode))
  }

  drained(): void {
    this.schedule()
  }

  closed(): void {
    this.finish()
  }

  private handle(type: string, payload: unknown): void {
    if (this.state === 'hello') {
      if (type !== ControlTypes.HELLO) throw new ProtocolViolation('the first frame must be a control hello')
      this.hello(record(payload, 'hello'))
      return
    }
    this.control(type, payload)
  }

  private publish(channel: DataChannel, seq: number, type: string, bytes: Uint8Array): void {
    if (this.state === 'hello') throw new ProtocolViolation('the first frame must be a control hello')
    if (!this.publisher) throw new ProtocolViolation('send a control publish frame before publishing')
    if (seq < 1) throw new ProtocolViolation('published frames are numbered from 1')
    const last = this.publisher.received[channel]
    // A publisher resends what it is not sure the hub got; what the hub has is skipped.
    if (seq <= last) return
    if (seq > last + 1) this.hub.publish(channel, 'gap', { publisher: this.publisherId, from: last + 1, to: seq - 1 })
    this.publisher.received[channel] = seq
    // A copy from Node's pool: a frame kept in the replay log must not keep the whole message alive.
    const copy = Buffer.allocUnsafe(bytes.length)
    copy.set(bytes)
    this.hub.publish(channel, type, NOT_DECODED, copy)
  }

  private hello(payload: Record<string, unknown>): void {
    if (payload.protocol !== PROTOCOL_VERSION) {
      throw new ProtocolViolation(`protocol ${JSON.stringify(payload.protocol)} is not supported (this hub speaks ${PROTOCOL_VERSION})`, CloseCodes.UNSUPPORTED_VERSION)
    }
    if (this.expectedToken !== null && !tokenMatches(payload.token, this.expectedToken)) {
      this.close(CloseCodes.UNAUTHORIZED, 'unauthorized', { type: ControlTypes.ERROR, payload: { code: ErrorCodes.HUB_AUTH, message: 'wrong or missing token' } })
      return
    }
    if (this.helloTimer) clearTimeout(this.helloTimer)
    this.helloTimer = null
    this.records = payload.records === true
    this.state = 'open'
    this.sendControl(ControlTypes.WELCOME, {
      protocol: PROTOCOL_VERSION,
      hub: this.hub.version,
      hubId: this.hub.id,
      records: this.records,
      heads: this.hub.heads(),
      oldest: this.hub.oldest(),
      maxMessageBytes: this.hub.options.maxMessageBytes,
    })
  }

  private control(type: string, payload: unknown): void {
    switch (type) {
      case ControlTypes.SUBSCRIBE: {
        const body = record(payload, 'subscribe')
        const channels = dataChannels(body.channels, 'subscribe')
        const since = body.since === undefined || body.since === null ? {} : record(body.since, 'subscribe.since')
        const from: Record<string, number> = {}
        for (const channel of channels) {
          const last = since[channel]
          if (last !== undefined && (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0)) {
            throw new ProtocolViolation(`subscribe.since.${channel} must be a non-negative integer`)
          }
          from[channel] = this.queue.subscribe(channel, last as number | undefined)
        }
        this.sendControl(ControlTypes.SUBSCRIBED, { channels, from })
        this.wake()
        return
      }
      case ControlTypes.UNSUBSCRIBE: {
        for (const channel of dataChannels(record(payload, 'unsubscribe').channels, 'unsubscribe')) this.queue.unsubscribe(channel)
        return
      }
      case ControlTypes.PUBLISH: {
        const id = record(payload, 'publish').publisher
        if (typeof id !== 'string' || !PUBLISHER_ID.test(id)) throw new ProtocolViolation('publish.publisher must be 1 to 128 letters, digits, ".", "_", ":" or "-"')
        this.publisherId = id
        this.publisher = this.hub.publisherPosition(id)
        this.sendControl(ControlTypes.PUBLISHING, { publisher: id, received: { ...this.publisher.received } })
        return
      }
      case ControlTypes.PING:
        // The pong says what the hub has from this publisher, so a publisher can tell it is flushed.
        this.sendControl(ControlTypes.PONG, { ping: payload ?? null, received: this.publisher ? { ...this.publisher.received } : null })
        return
      default:
        throw new ProtocolViolation(`unknown control frame type ${JSON.stringify(type)}`)
    }
  }

  /** Called by the hub after each publish: checks how far behind this subscriber is and schedules sending. */
  wake(): void {
    if (this.state !== 'open') return
    const lost = this.queue.lostFrames()
    if (lost) {
      this.close(CloseCodes.TOO_SLOW, `too slow: ${lost} frames left the replay log before they could be sent`)
      return
    }
    if (this.queue.slow) {
      if (this.slowSince === null) {
        this.slowSince = Date.now()
        this.slowTimer = setTimeout(() => this.checkSlow(), this.hub.options.slowGraceMs + 1)
        this.slowTimer.unref()
      }
    } else if (this.slowSince !== null) {
      this.slowSince = null
      if (this.slowTimer) clearTimeout(this.slowTimer)
      this.slowTimer = null
    }
    if (this.queue.pending()) this.schedule()
  }

  private checkSlow(): void {
    this.slowTimer = null
    if (this.state !== 'open' || this.slowSince === null) return
    if (!this.queue.slow) {
      this.slowSince = null
      return
    }
    const seconds = Math.round((Date.now() - this.slowSince) / 100) / 10
    this.close(CloseCodes.TOO_SLOW, `too slow: ${this.queue.losslessLag()} frames behind for ${seconds} s`)
  }

  private schedule(): void {
    if (this.scheduled || this.state === 'closed') return
    this.scheduled = true
    queueMicrotask(() => this.pump())
  }

  private sendControl(type: string, payload: unknown): void {
    this.controlOut.push(['control', ++this.controlSeq, type, payload])
    this.schedule()
  }

  private encoder(lane: Channel): FrameCodec {
    let codec = this.encoders.get(lane)
    if (!codec) this.encoders.set(lane, (codec = new FrameCodec({ records: this.records })))
    return codec
  }

  private lane(channel: Channel): Channel {
    return this.link.lanes === 'single' ? 'control' : channel
  }

  private encodeData(lane: Channel, batch: LoggedFrame[]): Uint8Array {
    const codec = this.encoder(lane)
    if (!codec.records) return plainMessage(batch)
    return codec.encode(batch.map((frame): Frame => [frame.channel, frame.seq, frame.type, payloadOf(frame)]))
  }

  private flushControl(): void {
    for (const notice of this.queue.notices.splice(0)) this.controlOut.push(['control', ++this.controlSeq, notice.type, notice.payload])
    if (this.controlOut.length === 0) return
    const frames = this.controlOut
    this.controlOut = []
    this.link.send('control', this.encoder('control').encode(frames))
  }

  private pump(): void {
    this.scheduled = false
    if (this.state === 'closed') return
    this.flushControl()
    if (this.state !== 'open') return
    if (this.link.lanes === 'single') {
      while (this.link.writable('control')) {
        const batch = this.queue.take(BATCH_BYTES)
        this.flushControl()
        if (batch.length === 0) break
        this.link.send('control', this.encodeData('control', batch))
      }
      return
    }
    for (const channel of this.queue.channels) {
      while (this.link.writable(channel)) {
        const batch = this.queue.take(BATCH_BYTES, channel)
        this.flushControl()
        if (batch.length === 0) break
        this.link.send(channel, this.encodeData(this.lane(channel), batch))
      }
    }
  }

  private fail(violation: ProtocolViolation): void {
    this.close(violation.closeCode, 'protocol error', { type: ControlTypes.ERROR, payload: { code: ErrorCodes.PROTOCOL, message: violation.message } })
  }

  /**
   * Closes this connection with `code`, telling the client why first (a `bye`, or the given
   * control frame). Idempotent.
   */
  close(code: number, reason: string, last?: { type: string; payload: unknown }): void {
    if (this.state === 'closed') return
    try {
      this.controlOut.push(['control', ++this.controlSeq, last?.type ?? ControlTypes.BYE, last?.payload ?? { code, reason }])
      this.flushControl()
    } catch {
      // The link may already be gone; the close below is what matters.
    }
    this.finish()
    this.link.close(code, reason.slice(0, 120))
  }

  private finish(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    if (this.helloTimer) clearTimeout(this.helloTimer)
    if (this.slowTimer) clearTimeout(this.slowTimer)
    this.helloTimer = this.slowTimer = null
    this.onClosed()
  }
}

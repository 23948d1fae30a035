import { randomBytes } from 'node:crypto'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { ChannelLog, NOT_DECODED, type LoggedFrame } from '../transport/channel-log.js'
import { encodePayload } from '../transport/frame-codec.js'
import { CloseCodes, DATA_CHANNELS, type DataChannel } from '../transport/protocol.js'
import { FLAKELINE_VERSION } from '../version.js'
import type { HubLink } from './hub-link.js'
import { HubSession } from './hub-session.js'
import { validateHubOptions, type ChannelHubOptions } from './hub-options.js'

export { DEFAULT_HUB_OPTIONS, type ChannelHubOptions } from './hub-options.js'

/** Where the hub is with one publisher: the last publisher seq applied per channel. */
export interface PublisherPosition {
  received: Record<DataChannel, number>
}

/**
 * The hub's core, independent of transports: one bounded replay log per channel, the sessions of
 * connected clients, and the positions of publishers so a reconnecting publisher resends only
 * what the hub has not got. `publish` is synchronous and never waits for a subscriber: it numbers
 * the frame, logs it and wakes the sessions, which send at their own pace.
 */
export class ChannelHub {
  /** Changes every time a hub starts, so clients notice a restarted hub and start over. */
  readonly id = randomBytes(8).toString('hex')
  readonly version = FLAKELINE_VERSION
  readonly options: Readonly<ChannelHubOptions>
  readonly logs: ReadonlyMap<DataChannel, ChannelLog>
  private readonly sessions = new Set<HubSession>()
  private readonly publishers = new Map<string, PublisherPosition>()
  private order = 0
  private waking = false
  private closed = false

  /** Throws `FLAKELINE_E_CONFIG` naming the option when one is invalid. */
  constructor(options: Partial<ChannelHubOptions> = {}) {
    this.options = validateHubOptions(options)
    const { replayFrames, replayBytes } = this.options
    this.logs = new Map(
      DATA_CHANNELS.map((channel) => {
        const share = channel === 'console' ? 4 : 1
        return [channel, new ChannelLog(channel, { maxFrames: Math.max(16, Math.floor(replayFrames / share)), maxBytes: Math.floor(replayBytes / share) })]
      }),
    )
  }

  /**
   * Publishes one frame (from a connected publisher, or from inside this process: an in-process
   * reporter, a CLI). `payloadBytes`, when given, is the payload already encoded as plain
   * MessagePack. Never blocks.
   */
  publish(channel: DataChannel, type: string, payload: unknown, payloadBytes?: Uint8Array | null): LoggedFrame {
    if (this.closed) throw new FlakelineError(ErrorCodes.HUB_CLOSED, 'the hub is closed')
    const log = this.logs.get(channel)
    if (!log) throw new FlakelineError(ErrorCodes.PROTOCOL, `cannot publish on channel ${JSON.stringify(channel)}`)
    const frame = log.append(type, payloadBytes ? NOT_DECODED : payload, payloadBytes ?? encodePayload(payload), ++this.order)
    this.scheduleWake()
    return frame
  }

  /**
   * Sessions are woken once per tick, not once per frame: a publisher's message of hundreds of
   * frames costs every subscriber one check of its lag and one pump.
   */
  private scheduleWake(): void {
    if (this.waking) return
    this.waking = true
    queueMicrotask(() => {
      this.waking = false
      for (const session of this.sessions) session.wake()
    })
  }

  /** Where the hub is with `publisher`, remembered across its reconnects. */
  publisherPosition(publisher: string): PublisherPosition {
    let position = this.publishers.get(publisher)
    if (position) {
      // Re-insert so the map's order is least recently used first.
      this.publishers.delete(publisher)
    } else {
      position = { received: { run: 0, results: 0, console: 0, analysis: 0 } }
    }
    this.publishers.set(publisher, position)
    while (this.publishers.size > this.options.maxPublishers) this.publishers.delete(this.publishers.keys().next().value!)
    return position
  }

  /** Starts a session for a new connection. `authenticated` when the transport already checked the token. */
  connect(link: HubLink, auth: { authenticated: true } | { authenticated: false; token: string }): HubSession {
    if (this.closed) {
      link.close(CloseCodes.GOING_AWAY, 'hub closing')
      throw new FlakelineError(ErrorCodes.HUB_CLOSED, 'the hub is closed')
    }
    const session = new HubSession(this, link, auth, () => this.sessions.delete(session))
    this.sessions.add(session)
    return session
  }

  /** Connected sessions, for stats and tests. */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** Heads of every channel: the newest seq. */
  heads(): Record<DataChannel, number> {
    return Object.fromEntries(DATA_CHANNELS.map((channel) => [channel, this.logs.get(channel)!.head])) as Record<DataChannel, number>
  }

  /** Oldest seq still kept per channel. */
  oldest(): Record<DataChannel, number> {
    return Object.fromEntries(DATA_CHANNELS.map((channel) => [channel, this.logs.get(channel)!.oldest])) as Record<DataChannel, number>
  }

  /**
   * Resolves true once every connected subscriber was handed everything published so far, or
   * false after `timeoutMs`: lets an in-process hub deliver the end of a run before it closes.
   */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (Array.from(this.sessions).every((session) => session.idle)) return true
      if (Date.now() >= deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** Says goodbye to every client (close code 1001) and refuses new ones. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const session of Array.from(this.sessions)) session.close(CloseCodes.GOING_AWAY, 'hub closing')
    this.sessions.clear()
  }
}

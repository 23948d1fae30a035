import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js'
import type { ClientTransport, TransportOptions } from './client-transport.js'
import { FrameCodec, concat, encodeFrame } from './frame-codec.js'
import { parseHubUrl, shownHubUrl, type HubAddress } from './hub-url.js'
import {
  CloseCodes,
  ControlTypes,
  DATA_CHANNELS,
  DEFAULT_MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type Channel,
  type DataChannel,
  type Frame,
} from './protocol.js'
import { PublisherOutbox, type OutboxLimits } from './publisher-outbox.js'
import { openQuicTransport } from './quic-client-transport.js'
import { openWebSocketTransport } from './ws-client-transport.js'

/** How to reach a hub and what to do there. */
export interface HubClientOptions {
  /** `ws://host:port`, `wss://host:port/path` or `quic://host:port?fingerprint=HEX`. */
  url: string
  /** The hub's token. */
  token: string
  /** Channels to receive. */
  subscribe?: DataChannel[]
  /**
   * Where the first subscription starts: the last seq you already have per channel (0, the
   * default, asks for everything the hub still keeps), or `'live'` for new frames only.
   * Reconnects always resume right after the last frame received.
   */
  since?: Partial<Record<DataChannel, number>> | 'live'
  /** Publish as this id (stable across reconnects, so the hub skips what it already has). */
  publisher?: string
  /** Ask the hub for msgpackr records (smaller, faster frames). Default true. */
  records?: boolean
  /** Reconnect with backoff after losing the hub. Default true. */
  reconnect?: boolean | Partial<BackoffOptions>
  /** What a publisher keeps for resending while the hub is away. */
  outbox?: Partial<OutboxLimits>
  /** Default 5000. */
  connectTimeoutMs?: number
  /** Largest message accepted from the hub. Default 1 MiB (the hub's default too). */
  maxMessageBytes?: number
  /** Bytes written and not yet taken by the socket before publishing waits. Default 1 MiB. */
  highWaterBytes?: number
  /** Called for every data frame, exactly once per seq and channel. */
  onFrame?: (frame: Frame) => void
  /** Called for control frames from the hub (`gap`, `dropped`, `bye`, `error`, ...) and `reset` (a new hub). */
  onNotice?: (type: string, payload: unknown) => void
  /** Called once per outage, and for the final problem when the client gives up. */
  onProblem?: (error: FlakelineError) => void
  /** A name for the hello, for the hub's logs. */
  client?: string
}

interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

const BATCH_BYTES = 64 * 1024
const FLUSH_POLL_MS = 10

/** Close codes after which reconnecting cannot help. */
function fatalClose(code: number, reason: string): FlakelineError | null {
  if (code === CloseCodes.UNAUTHORIZED) return new FlakelineError(ErrorCodes.HUB_AUTH, 'the hub refused the token (close code 4001)')
  if (code === CloseCodes.PROTOCOL_ERROR || code === CloseCodes.FRAME_TOO_LARGE || code === CloseCodes.UNSUPPORTED_VERSION || code === CloseCodes.MESSAGE_TOO_BIG) {
    return new FlakelineError(ErrorCodes.PROTOCOL, `the hub closed the connection with code ${code}${reason ? `: ${reason}` : ''}`)
  }
  return null
}

/**
 * A client of the hub over WebSocket or QUIC: subscribes and receives every frame once, publishes
 * without ever blocking the caller, and reconnects with backoff, resuming by sequence number in
 * both directions. A new connection gets new codecs (msgpackr structures start over).
 */
export class HubClient {
  readonly address: HubAddress
  /** The last seq received per channel. */
  readonly positions: Record<DataChannel, number> = { run: 0, results: 0, console: 0, analysis: 0 }
  private readonly options: HubClientOptions
  private readonly transportOptions: TransportOptions
  private readonly backoff: BackoffOptions | null
  private readonly outbox: PublisherOutbox | null
  private state: 'connecting' | 'open' | 'waiting' | 'closed' = 'connecting'
  private transport: ClientTransport | null = null
  private codecs = new Map<string, FrameCodec>()
  private controlSeq = 0
  private hubId: string | null = null
  private subscribedOnce = false
  private publishing = false
  private hubReceived: Record<DataChannel, number> | null = null
  private attempt = 0
  private outage = false
  private welcomeTimer: NodeJS.Timeout | null = null
  private wake: (() => void) | null = null
  private scheduled = false
  private pings = new Map<number, (received: Record<DataChannel, number> | null) => void>()
  private pingId = 0
  /** The message of the last `error` frame from the hub on this connection. */
  private hubError: string | null = null
  private readonly firstReady = deferred<void>()
  private connection: Deferred<void> = deferred<void>()
  private closing: Promise<void> | null = null

  /** Starts connecting at once. Throws `FLAKELINE_E_CONFIG` for a bad URL or option. */
  constructor(options: HubClientOptions) {
    this.address = parseHubUrl(options.url, 'options.url')
    if (typeof options.token !== 'string' || options.token.length === 0) throw new FlakelineError(ErrorCodes.CONFIG, 'options.token must be a non-empty string')
    if (!options.subscribe?.length && !options.publisher) throw new FlakelineError(ErrorCodes.CONFIG, 'give options.subscribe, options.publisher, or both')
    this.options = options
    this.transportOptions = {
      token: options.token,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      highWaterBytes: options.highWaterBytes ?? 1024 * 1024,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    }
    this.backoff = options.reconnect === false ? null : { ...DEFAULT_BACKOFF, ...(typeof options.reconnect === 'object' ? options.reconnect : {}) }
    this.outbox = options.publisher ? new PublisherOutbox(options.outbox) : null
    void this.run()
  }

  /** Whether the client is connected and past the hello. */
  get connected(): boolean {
    return this.state === 'open'
  }

  /** Published frames not yet handed to the connection: what a fast publisher can pace itself by. */
  get backlog(): number {
    return this.outbox?.unsent ?? 0
  }

  /** Frames a publisher had to forget before the hub got them (the hub shows them as a gap). */
  get lostFrames(): number {
    return this.outbox?.lostFrames ?? 0
  }

  /**
   * Resolves once connected, subscribed and ready to publish for the first time. Rejects with the
   * reason when the hub refuses (token, protocol), or `FLAKELINE_E_HUB_UNREACHABLE` after `timeoutMs`.
   */
  ready(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FlakelineError(ErrorCodes.HUB_UNREACHABLE, `not connected to the hub at ${shownHubUrl(this.address.url)} after ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    return Promise.race([this.firstReady.promise, timeout]).finally(() => clearTimeout(timer))
  }

  /** Resolves when the current connection (or the next one) is ready; for tests and tools that wait on a reconnect. */
  reconnected(): Promise<void> {
    return this.connection.promise
  }

  private async run(): Promise<void> {
    let last: FlakelineError | null = null
    while (this.state !== 'closed') {
      this.state = 'connecting'
      try {
        const { code, reason } = await this.connectOnce()
        if (this.isClosed()) return
        // The hub says why in an `error` frame before it closes; the close reason alone is a word.
        const said = this.hubError
        this.hubError = null
        const fatal = fatalClose(code, said ? `${reason ? `${reason}: ` : ''}${said}` : reason)
        if (fatal) return this.giveUp(fatal)
        last =
          code === CloseCodes.TOO_SLOW
            ? new FlakelineError(ErrorCodes.SUBSCRIBER_SLOW, `the hub disconnected this subscriber as too slow${reason ? `: ${reason}` : ''}; resuming`)
            : new FlakelineError(ErrorCodes.HUB_UNREACHABLE, `lost the hub at ${shownHubUrl(this.address.url)} (close code ${code}${reason ? `, ${reason}` : ''})`)
      } catch (error) {
        if (this.isClosed()) return
        last = asFlakelineError(error, ErrorCodes.HUB_UNREACHABLE, `cannot reach the hub at ${shownHubUrl(this.address.url)}`)
        // Retrying cannot fix a refused token, a certificate, the protocol, or a missing @matrixai/quic.
        if (last.code === ErrorCodes.HUB_AUTH || last.code === ErrorCodes.TLS || last.code === ErrorCodes.PROTOCOL || last.code === ErrorCodes.QUIC_MISSING) {
          return this.giveUp(last)
        }
      }
      if (!this.outage || last.code === ErrorCodes.SUBSCRIBER_SLOW) this.options.onProblem?.(last)
      this.outage = true
      if (!this.backoff) return this.giveUp(last)
      this.state = 'waiting'
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffDelay(this.attempt++, this.backoff!))
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = null
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed'
  }

  private giveUp(error: FlakelineError): void {
    if (this.isClosed()) return
    this.state = 'closed'
    this.firstReady.reject(error)
    this.connection.reject(error)
    this.options.onProblem?.(error)
  }

  private async connectOnce(): Promise<{ code: number; reason: string }> {
    const closed = deferred<{ code: number; reason: string }>()
    this.codecs = new Map()
    this.controlSeq = 0
    this.hubError = null
    this.publishing = false
    const events = {
      message: (lane: string, message: Uint8Array) => this.receive(lane, message),
      drained: () => this.schedule(),
      closed: (code: number, reason: string) => closed.resolve({ code, reason }),
    }
    const transport =
      this.address.transport === 'ws'
        ? await openWebSocketTransport(this.address.url, this.transportOptions, events)
        : await openQuicTransport(this.address, this.transportOptions, events)
    if (this.isClosed()) {
      await transport.close()
      return closed.promise
    }
    this.transport = transport
    this.welcomeTimer = setTimeout(() => void transport.close(CloseCodes.NORMAL), this.transportOptions.connectTimeoutMs)
    this.sendControl(ControlTypes.HELLO, {
      protocol: PROTOCOL_VERSION,
      records: this.options.records ?? true,
      client: this.options.client ?? 'flakeline',
      ...(transport.tokenInHello ? { token: this.options.token } : {}),
    })
    const result = await closed.promise
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer)
    this.transport = null
    if (this.state === 'open') {
      this.state = 'connecting'
      this.connection = deferred<void>()
    }
    for (const resolve of this.pings.values()) resolve(null)
    this.pings.clear()
    return result
  }

  private sendControl(type: string, payload: unknown): void {
    this.transport?.send('control', encodeFrame(['control', ++this.controlSeq, type, payload]))
  }

  private receive(lane: string, message: Uint8Array): void {
    let codec = this.codecs.get(lane)
    if (!codec) this.codecs.set(lane, (codec = new FrameCodec()))
    let frames: Frame[]
    try {
      frames = codec.decode(message)
    } catch (error) {
      this.giveUp(asFlakelineError(error, ErrorCodes.PROTOCOL, 'the hub sent an unreadable message'))
      void this.transport?.close(CloseCodes.PROTOCOL_ERROR)
      return
    }
    for (const frame of frames) {
      const [channel, seq] = frame
      if (channel === 'control') {
        this.control(frame[2], frame[3])
        continue
      }
      if (seq <= this.positions[channel]) continue
      this.positions[channel] = seq
      this.options.onFrame?.(frame)
    }
  }

  private control(type: string, payload: unknown): void {
    const body = (payload ?? {}) as Record<string, unknown>
    switch (type) {
      case ControlTypes.WELCOME:
        return this.welcome(body)
      case ControlTypes.SUBSCRIBED: {
        const from = (body.from ?? {}) as Record<string, number>
        for (const channel of this.options.subscribe ?? []) if (typeof from[channel] === 'number') this.positions[channel] = from[channel] - 1
        this.subscribedOnce = true
        this.checkReady()
        return
      }
      case ControlTypes.PUBLISHING: {
        this.hubReceived = body.received as Record<DataChannel, number>
        this.outbox!.rewind(this.hubReceived)
        this.publishing = true
        this.checkReady()
        this.schedule()
        return
      }
      case ControlTypes.PONG: {
        const pong = body as { ping?: { id?: number }; received?: Record<DataChannel, number> | null }
        if (pong.received) this.hubReceived = pong.received
        const id = pong.ping?.id
        if (typeof id === 'number') {
          this.pings.get(id)?.(pong.received ?? null)
          this.pings.delete(id)
        }
        return
      }
      case ControlTypes.ERROR:
        if (typeof body.message === 'string') this.hubError = body.message.slice(0, 500)
        this.options.onNotice?.(type, payload)
        return
      default:
        this.options.onNotice?.(type, payload)
    }
  }

  private welcome(body: Record<string, unknown>): void {
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer)
    this.welcomeTimer = null
    const hubId = typeof body.hubId === 'string' ? body.hubId : null
    const restarted = this.hubId !== null && hubId !== this.hubId
    this.hubId = hubId
    if (restarted) {
      // A new hub numbers from 1 again: start over rather than wait for seqs it will not reach.
      for (const channel of DATA_CHANNELS) this.positions[channel] = 0
      this.options.onNotice?.('reset', { hubId })
    }
    this.state = 'open'
    this.outage = false
    this.attempt = 0
    const channels = this.options.subscribe ?? []
    if (channels.length > 0) {
      let since: Partial<Record<DataChannel, number>> | undefined
      if (this.subscribedOnce || restarted) since = { ...this.positions }
      else if (this.options.since === 'live') since = undefined
      else since = Object.fromEntries(channels.map((channel) => [channel, (this.options.since as Partial<Record<DataChannel, number>> | undefined)?.[channel] ?? 0]))
      this.subscribedOnce = false
      this.sendControl(ControlTypes.SUBSCRIBE, { channels, ...(since ? { since } : {}) })
    }
    if (this.options.publisher) this.sendControl(ControlTypes.PUBLISH, { publisher: this.options.publisher })
    this.checkReady()
  }

  private checkReady(): void {
    if (this.state !== 'open') return
    if (this.options.subscribe?.length && !this.subscribedOnce) return
    if (this.options.publisher && !this.publishing) return
    this.firstReady.resolve()
    this.connection.resolve()
  }

  /**
   * Publishes one frame: numbered, kept for resending, and sent when the connection takes it.
   * Never blocks; while the hub is away frames wait in a bounded buffer.
   */
  publish(channel: DataChannel, type: string, payload: unknown): void {
    if (!this.outbox) throw new FlakelineError(ErrorCodes.CONFIG, 'this client was not created with options.publisher')
    if (this.isClosed()) throw new FlakelineError(ErrorCodes.HUB_CLOSED, 'the hub client is closed')
    this.outbox.add(channel, type, payload)
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    const transport = this.transport
    const outbox = this.outbox
    if (!transport || !outbox || !this.publishing || this.state !== 'open') return
    for (let entry = outbox.peek(); entry; entry = outbox.peek()) {
      const lane: Channel = transport.lanes === 'single' ? 'control' : entry.channel
      if (!transport.writable(lane)) return
      const parts: Uint8Array[] = []
      let bytes = 0
      while (entry && bytes < BATCH_BYTES && (transport.lanes === 'single' || entry.channel === lane)) {
        parts.push(entry.bytes)
        bytes += entry.bytes.length
        outbox.advance()
        entry = outbox.peek()
      }
      transport.send(lane, concat(parts))
    }
  }

  private ping(timeoutMs: number): Promise<Record<DataChannel, number> | null> {
    const id = ++this.pingId
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pings.delete(id)
        resolve(null)
      }, timeoutMs)
      this.pings.set(id, (received) => {
        clearTimeout(timer)
        resolve(received)
      })
      this.sendControl(ControlTypes.PING, { id })
    })
  }

  /**
   * Resolves true once the hub has every frame published so far (it says so in answer to a ping),
   * or false after `timeoutMs`. Never rejects.
   */
  async flush(timeoutMs = 5000): Promise<boolean> {
    const outbox = this.outbox
    if (!outbox) return true
    const deadline = Date.now() + timeoutMs
    while (!this.isClosed() && Date.now() < deadline) {
      if (this.state === 'open' && this.publishing && !outbox.peek()) {
        const received = await this.ping(Math.max(1, deadline - Date.now()))
        if (received && DATA_CHANNELS.every((channel) => received[channel] >= outbox.published[channel])) return true
      }
      await new Promise((resolve) => setTimeout(resolve, FLUSH_POLL_MS))
    }
    return false
  }

  /** Closes the connection and stops reconnecting. Idempotent, bounded, never rejects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasReady = this.state
      this.state = 'closed'
      this.wake?.()
      if (wasReady !== 'closed') {
        const error = new FlakelineError(ErrorCodes.HUB_CLOSED, 'the hub client was closed')
        this.firstReady.reject(error)
        this.connection.reject(error)
      }
      if (this.welcomeTimer) clearTimeout(this.welcomeTimer)
      await this.transport?.close(CloseCodes.NORMAL)
    })()
    return this.closing
  }
}

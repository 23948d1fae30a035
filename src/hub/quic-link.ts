import { ErrorCodes, FlakelineError } from '../errors.js'
import { CloseCodes, type Channel } from '../transport/protocol.js'
import type { QuicConnection, QuicStream } from '../transport/quic-api.js'
import { QuicLane } from '../transport/quic-lane.js'
import type { HubLink, LinkEvents } from './hub-link.js'

/** A closing connection gets this long to deliver its last control frame. */
const CLOSE_FLUSH_MS = 500

/**
 * The hub side of one QUIC connection: the first stream the client opens is its control lane;
 * the hub opens one stream per data channel it sends on, so a channel the client reads slowly
 * holds up only itself.
 */
export class QuicLink implements HubLink {
  readonly lanes = 'per-channel' as const
  readonly remote: string
  private readonly connection: QuicConnection
  private readonly options: { maxMessageBytes: number; highWaterBytes: number }
  private events: LinkEvents | null = null
  private readonly lanesByChannel = new Map<Channel, QuicLane>()
  private readonly allLanes = new Set<QuicLane>()
  private closing = false

  constructor(connection: QuicConnection, options: { maxMessageBytes: number; highWaterBytes: number }) {
    this.connection = connection
    this.remote = `${connection.remoteHost}:${connection.remotePort}`
    this.options = options
  }

  attach(events: LinkEvents): void {
    this.events = events
  }

  /** A stream the client opened. */
  addPeerStream(stream: QuicStream): void {
    const key = `stream-${stream.streamId}`
    const lane = new QuicLane(stream, this.options, {
      message: (message) => this.events?.receive(key, message),
      drained: () => this.events?.drained(),
      error: (error) => {
        if (error instanceof FlakelineError && error.code === ErrorCodes.PROTOCOL) this.events?.reject(error.message, CloseCodes.FRAME_TOO_LARGE)
      },
      ended: () => {},
    })
    this.allLanes.add(lane)
    if (!this.lanesByChannel.has('control')) this.lanesByChannel.set('control', lane)
  }

  private laneFor(channel: Channel): QuicLane | undefined {
    let lane = this.lanesByChannel.get(channel)
    if (lane || channel === 'control' || this.closing) return lane
    lane = new QuicLane(this.connection.newStream('bidi'), this.options, {
      message: () => {},
      drained: () => this.events?.drained(),
      error: () => {},
      ended: () => {},
    })
    this.lanesByChannel.set(channel, lane)
    this.allLanes.add(lane)
    return lane
  }

  send(channel: Channel, message: Uint8Array): void {
    this.laneFor(channel)?.write(message)
  }

  writable(channel: Channel): boolean {
    if (this.closing) return false
    return this.lanesByChannel.get(channel)?.writable ?? true
  }

  close(code: number, reason: string): void {
    if (this.closing) return
    this.closing = true
    const control = this.lanesByChannel.get('control')
    const flushed = control ? Promise.race([control.flushed(), new Promise((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS).unref())]) : Promise.resolve()
    void flushed.then(() =>
      this.connection.stop({ isApp: true, errorCode: code, reason: new TextEncoder().encode(reason), force: true }).catch(() => {}),
    )
  }
}

import { createHash, webcrypto } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import type { ClientTransport, ClientTransportEvents, TransportOptions } from './client-transport.js'
import { shownHubUrl, type HubAddress } from './hub-url.js'
import { QUIC_ALPN, type Channel } from './protocol.js'
import type { QuicClient, QuicConnectionError, QuicEvent, QuicEvents, QuicStream } from './quic-api.js'
import { QuicLane } from './quic-lane.js'
import { loadQuic, silentQuicLogger } from './quic-module.js'
import { quicTuning } from './quic-tuning.js'

/** TLS alert "bad certificate" as a QUIC crypto error (0x100 + 42). */
const BAD_CERTIFICATE = 298
const CLOSE_TIMEOUT_MS = 2000

class QuicTransport implements ClientTransport {
  readonly lanes = 'per-channel' as const
  readonly tokenInHello = true
  private readonly client: QuicClient
  private readonly options: TransportOptions
  private readonly events: ClientTransportEvents
  private readonly lanesByChannel = new Map<Channel, QuicLane>()
  private readonly allLanes: QuicLane[] = []
  private closed = false
  private closeCode = 1006
  private closeReason = 'connection lost'

  constructor(client: QuicClient, options: TransportOptions, events: ClientTransportEvents, quicEvents: QuicEvents) {
    this.client = client
    this.options = options
    this.events = events
    const connection = client.connection
    connection.addEventListener(quicEvents.EventQUICConnectionStream.name, (event: Event) => {
      const stream = (event as QuicEvent<QuicStream>).detail
      this.addLane(stream, `stream-${stream.streamId}`)
    })
    connection.addEventListener(quicEvents.EventQUICConnectionError.name, (event: Event) => {
      const data = (event as QuicEvent<QuicConnectionError | undefined>).detail?.data
      if (typeof data?.errorCode === 'number') {
        this.closeCode = data.errorCode
        this.closeReason = data.reason ? new TextDecoder().decode(data.reason) : ''
      }
    })
    connection.addEventListener(quicEvents.EventQUICConnectionStopped.name, () => this.finish(), { once: true })
  }

  private addLane(stream: QuicLane['stream'], key: string): QuicLane {
    const lane = new QuicLane(stream, this.options, {
      message: (message) => this.events.message(key, message),
      drained: () => this.events.drained(),
      error: () => {},
      ended: () => {},
    })
    this.allLanes.push(lane)
    return lane
  }

  private laneFor(channel: Channel): QuicLane | undefined {
    if (this.closed) return undefined
    let lane = this.lanesByChannel.get(channel)
    if (!lane) {
      lane = this.addLane(this.client.connection.newStream('bidi'), `local-${channel}`)
      this.lanesByChannel.set(channel, lane)
    }
    return lane
  }

  /** Opens the control stream first, so it is the first stream the hub sees. */
  openControl(): void {
    this.laneFor('control')
  }

  send(channel: Channel, message: Uint8Array): void {
    this.laneFor(channel)?.write(message)
  }

  writable(channel: Channel): boolean {
    return !this.closed && (this.lanesByChannel.get(channel)?.writable ?? true)
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.events.closed(this.closeCode, this.closeReason)
  }

  async close(code = 1000): Promise<void> {
    if (this.closed) return
    const lanes = Array.from(this.lanesByChannel.values())
    await Promise.race([
      (async () => {
        await Promise.all(lanes.map((lane) => lane.flushed()))
        this.closeCode = code
        this.closeReason = 'closed by client'
        await this.client.destroy({ isApp: true, errorCode: code, force: true })
      })().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()),
    ])
    if (!this.client.closed) await this.client.destroy({ force: true }).catch(() => {})
    this.finish()
  }
}

/**
 * Connects to a hub over QUIC. With a fingerprint the hub's certificate must hash to it (the
 * certificate is self-signed, so pinning is the check); without one it is not verified, which
 * only suits a hub on this machine. Rejects with `FLAKELINE_E_TLS` or `FLAKELINE_E_HUB_UNREACHABLE`.
 */
export async function openQuicTransport(address: HubAddress, options: TransportOptions, events: ClientTransportEvents): Promise<ClientTransport> {
  const quic = await loadQuic()
  const host = isIP(address.host) ? address.host : (await lookup(address.host)).address
  // Bind the client's UDP socket on the same side of the machine as the hub: loopback stays loopback.
  const localHost = isIP(host) === 6 ? (host === '::1' ? '::1' : '::') : host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0'
  const pinned = address.fingerprint
  let client: QuicClient
  try {
    client = await quic.QUICClient.createQUICClient(
      {
        host,
        port: address.port,
        localHost,
        crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void webcrypto.getRandomValues(new Uint8Array(data)) } },
        config: {
          applicationProtos: [QUIC_ALPN],
          verifyPeer: pinned !== null,
          ...(pinned !== null
            ? {
                verifyCallback: async (certs: Uint8Array[]) =>
                  certs[0] && createHash('sha256').update(certs[0]).digest('hex') === pinned ? undefined : BAD_CERTIFICATE,
              }
            : {}),
          maxIdleTimeout: 60_000,
          keepAliveIntervalTime: 10_000,
          ...quicTuning(host),
        },
        logger: silentQuicLogger,
      },
      { timer: options.connectTimeoutMs },
    )
  } catch (error) {
    const code = (error as { data?: { errorCode?: number } }).data?.errorCode
    if (code === BAD_CERTIFICATE) throw new FlakelineError(ErrorCodes.TLS, `the hub at ${shownHubUrl(address.url)} does not have the pinned certificate`, { cause: error })
    throw asFlakelineError(error, ErrorCodes.HUB_UNREACHABLE, `cannot reach the hub at ${shownHubUrl(address.url)}`)
  }
  const transport = new QuicTransport(client, options, events, quic.events)
  transport.openControl()
  return transport
}

import { createHmac, randomBytes } from 'node:crypto'
import { ErrorCodes, asFlakelineError } from '../errors.js'
import { QUIC_ALPN } from '../transport/protocol.js'
import type { QuicConnection, QuicEvent, QuicStream } from '../transport/quic-api.js'
import { loadQuic, silentQuicLogger } from '../transport/quic-module.js'
import { quicTuning } from '../transport/quic-tuning.js'
import type { ChannelHub } from './channel-hub.js'
import { QuicLink } from './quic-link.js'
import type { TlsIdentity } from './self-signed-cert.js'

/** A running QUIC listener of a hub. */
export interface QuicListener {
  port: number
  stop(): Promise<void>
}

const STOP_TIMEOUT_MS = 2000

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/**
 * Serves the hub's channels over QUIC (`@matrixai/quic`): TLS with `identity`, the token checked
 * in the client's hello. The HMAC key signs QUIC's stateless retry tokens; it lives as long as the process.
 */
export async function startQuicListener(
  hub: ChannelHub,
  options: { host: string; port: number; token: string; identity: TlsIdentity; highWaterBytes: number },
): Promise<QuicListener> {
  const quic = await loadQuic()
  const key = randomBytes(32)
  const server = new quic.QUICServer({
    crypto: {
      key: arrayBuffer(key),
      ops: {
        sign: async (secret, data) => arrayBuffer(createHmac('sha256', Buffer.from(secret)).update(Buffer.from(data)).digest()),
        verify: async (secret, data, signature) =>
          createHmac('sha256', Buffer.from(secret)).update(Buffer.from(data)).digest().equals(Buffer.from(signature)),
      },
    },
    config: {
      key: options.identity.keyPem,
      cert: options.identity.certPem,
      verifyPeer: false,
      applicationProtos: [QUIC_ALPN],
      maxIdleTimeout: 60_000,
      ...quicTuning(options.host),
    },
    logger: silentQuicLogger,
  })
  server.addEventListener(quic.events.EventQUICServerConnection.name, (event: Event) => {
    const connection = (event as QuicEvent<QuicConnection>).detail
    const link = new QuicLink(connection, { maxMessageBytes: hub.options.maxMessageBytes, highWaterBytes: options.highWaterBytes })
    let session: ReturnType<ChannelHub['connect']>
    try {
      session = hub.connect(link, { authenticated: false, token: options.token })
    } catch {
      return
    }
    link.attach(session)
    connection.addEventListener(quic.events.EventQUICConnectionStream.name, (streamEvent: Event) => {
      link.addPeerStream((streamEvent as QuicEvent<QuicStream>).detail)
    })
    connection.addEventListener(quic.events.EventQUICConnectionStopped.name, () => session.closed(), { once: true })
  })
  try {
    await server.start({ host: options.host, port: options.port })
  } catch (error) {
    throw asFlakelineError(error, ErrorCodes.HUB_LISTEN, `cannot listen for QUIC on ${options.host}:${options.port}`)
  }
  let stopping: Promise<void> | null = null
  return {
    port: server.port,
    stop: () =>
      (stopping ??= Promise.race([
        server.stop({ isApp: true, errorCode: 1001, force: true }).catch(() => {}),
        new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref()),
      ])),
  }
}

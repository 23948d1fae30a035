import { createServer, type Server } from 'node:http'
import { isIP, type Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { loadQuic } from '../transport/quic-module.js'
import { generateToken, presentedToken, tokenMatches } from './auth.js'
import { ChannelHub, type ChannelHubOptions } from './channel-hub.js'
import { loadDashboardAssets } from './dashboard-assets.js'
import { HistoryApi } from './history-api.js'
import { UNAUTHORIZED_BODY, handleHttp } from './http-routes.js'
import { startQuicListener, type QuicListener } from './quic-hub-server.js'
import { loadTlsIdentity } from './tls-identity.js'
import { WebSocketLink } from './ws-link.js'

/** Where and how a hub listens. Everything is optional. */
export interface HubServerOptions {
  /** Address to bind. Default `127.0.0.1`: nothing outside this machine can connect unless you say so. */
  host?: string
  /** HTTP and WebSocket port; 0 picks a free one. Default 0. */
  port?: number
  /** QUIC (UDP) port, 0 for a free one; `null` serves no QUIC. Default null. */
  quicPort?: number | null
  /** The token clients must present; at least 16 characters. Default: a new random one. */
  token?: string
  /** A store directory: served read-only at `/api/`, and where the self-signed QUIC certificate is kept. */
  storeDir?: string | null
  /** PEM certificate file for QUIC; with `tlsKey`. Default: self-signed, kept in `<storeDir>/hub-tls/`. */
  tlsCert?: string
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string
  /** Bytes written to one connection and not yet taken by its socket before the hub waits for it. Default 1 MiB. */
  highWaterBytes?: number
  /** Replay log, lag and size limits of the channel hub. */
  hub?: Partial<ChannelHubOptions>
}

const CLOSE_GRACE_MS = 1000

function checkPort(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new FlakelineError(ErrorCodes.CONFIG, `options.${name} must be an integer from 0 to 65535, got ${JSON.stringify(value)}`)
  }
}

/** Checks every option and the rules between them, once, before anything listens. */
function validate(options: HubServerOptions): void {
  const known = ['host', 'port', 'quicPort', 'token', 'storeDir', 'tlsCert', 'tlsKey', 'highWaterBytes', 'hub']
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new FlakelineError(ErrorCodes.CONFIG, `unknown hub server option "${key}" (known options: ${known.join(', ')})`)
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host.length === 0)) {
    throw new FlakelineError(ErrorCodes.CONFIG, `options.host must be a non-empty host name or address, got ${JSON.stringify(options.host)}`)
  }
  if (options.port !== undefined) checkPort(options.port, 'port')
  if (options.quicPort !== undefined && options.quicPort !== null) checkPort(options.quicPort, 'quicPort')
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length < 16 || /\s/.test(options.token))) {
    throw new FlakelineError(ErrorCodes.CONFIG, 'options.token must be at least 16 characters without spaces')
  }
  if (options.highWaterBytes !== undefined && (!Number.isInteger(options.highWaterBytes) || options.highWaterBytes < 1024)) {
    throw new FlakelineError(ErrorCodes.CONFIG, `options.highWaterBytes must be an integer of at least 1024, got ${JSON.stringify(options.highWaterBytes)}`)
  }
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) {
    throw new FlakelineError(ErrorCodes.CONFIG, 'options.tlsCert and options.tlsKey go together: give both or neither')
  }
  if (options.tlsCert && (options.quicPort === undefined || options.quicPort === null)) {
    throw new FlakelineError(ErrorCodes.CONFIG, 'options.tlsCert is for the QUIC transport: set options.quicPort too')
  }
}

/** `host:port` as it goes in a URL (IPv6 in brackets). */
export function urlHost(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(asFlakelineError(error, ErrorCodes.HUB_LISTEN, `cannot listen on ${urlHost(host, port)}`))
    server.once('error', onError)
    server.listen({ host, port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/**
 * A running hub: the channel hub behind a WebSocket endpoint (`/ws`), the dashboard (`/`), the
 * read-only history API (`/api/`), and optionally QUIC. The token is checked before the
 * WebSocket upgrade (401 otherwise), in the QUIC hello, and on every API request.
 */
export class HubServer {
  readonly hub: ChannelHub
  readonly token: string
  readonly host: string
  readonly port: number
  readonly quicPort: number | null
  /** SHA-256 of the QUIC certificate, lowercase hex, for clients to pin; null without QUIC. */
  readonly fingerprint: string | null
  private readonly http: Server
  private readonly wss: WebSocketServer
  private readonly sockets: Set<WebSocket>
  private readonly quic: QuicListener | null
  private readonly history: HistoryApi
  private closing: Promise<void> | null = null

  private constructor(parts: {
    hub: ChannelHub
    token: string
    host: string
    http: Server
    wss: WebSocketServer
    sockets: Set<WebSocket>
    quic: QuicListener | null
    fingerprint: string | null
    history: HistoryApi
  }) {
    this.hub = parts.hub
    this.token = parts.token
    this.host = parts.host
    this.http = parts.http
    this.wss = parts.wss
    this.sockets = parts.sockets
    this.quic = parts.quic
    this.history = parts.history
    this.fingerprint = parts.fingerprint
    this.port = (parts.http.address() as { port: number }).port
    this.quicPort = parts.quic?.port ?? null
  }

  /**
   * Validates `options` (`FLAKELINE_E_CONFIG` naming the option), then listens. Rejects with
   * `FLAKELINE_E_HUB_LISTEN` when a port cannot be bound, `FLAKELINE_E_TLS` for certificate problems,
   * `FLAKELINE_E_QUIC_MISSING` when `quicPort` is set and `@matrixai/quic` is not installed.
   */
  static async start(options: HubServerOptions = {}): Promise<HubServer> {
    validate(options)
    // Before anything listens or a certificate is written: a hub without the QUIC it was asked for does not start.
    if (options.quicPort !== undefined && options.quicPort !== null) await loadQuic()
    const host = options.host ?? '127.0.0.1'
    const token = options.token ?? generateToken()
    const highWaterBytes = options.highWaterBytes ?? 1024 * 1024
    const identity = options.quicPort === undefined || options.quicPort === null ? null : loadTlsIdentity({ certFile: options.tlsCert, keyFile: options.tlsKey, dir: options.storeDir })
    const hub = new ChannelHub(options.hub)
    const history = new HistoryApi(options.storeDir ?? null)
    const assets = loadDashboardAssets()
    const sockets = new Set<WebSocket>()
    const context = { assets, history, token, hubId: hub.id, version: hub.version }
    const http = createServer((request, response) => handleHttp(request, response, context))
    const wss = new WebSocketServer({ noServer: true, maxPayload: hub.options.maxMessageBytes, perMessageDeflate: false, clientTracking: false })
    http.on('upgrade', (request, socket: Socket, head) => {
      const path = new URL(request.url ?? '/', 'http://hub').pathname
      if (path !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        return
      }
      if (!tokenMatches(presentedToken(request), token)) {
        socket.end(
          `HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(UNAUTHORIZED_BODY)}\r\n\r\n${UNAUTHORIZED_BODY}`,
        )
        return
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        sockets.add(ws)
        ws.on('close', () => sockets.delete(ws))
        const link = new WebSocketLink(ws, `${request.socket.remoteAddress}:${request.socket.remotePort}`, highWaterBytes)
        try {
          link.attach(hub.connect(link, { authenticated: true }))
        } catch {
          ws.terminate()
        }
      })
    })
    let quic: QuicListener | null = null
    try {
      await listen(http, host, options.port ?? 0)
      if (identity) quic = await startQuicListener(hub, { host, port: options.quicPort!, token, identity, highWaterBytes })
    } catch (error) {
      hub.close()
      http.close()
      await history.close()
      throw error
    }
    return new HubServer({ hub, token, host, http, wss, sockets, quic, fingerprint: identity?.fingerprint ?? null, history })
  }

  /** The dashboard's address, `http://127.0.0.1:PORT/`. */
  get dashboardUrl(): string {
    return `http://${urlHost(this.host, this.port)}/`
  }

  /** The WebSocket endpoint, `ws://127.0.0.1:PORT/ws`. */
  get wsUrl(): string {
    return `ws://${urlHost(this.host, this.port)}/ws`
  }

  /** The QUIC endpoint with the certificate fingerprint to pin, or null without QUIC. */
  get quicUrl(): string | null {
    return this.quicPort === null ? null : `quic://${urlHost(this.host, this.quicPort)}?fingerprint=${this.fingerprint}`
  }

  /**
   * Stops in the reverse order of starting: QUIC, then every WebSocket client (told why, given a
   * second to go, then cut), the HTTP server, and the store. Idempotent; bounded in time.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.quic?.stop()
      this.hub.close()
      if (this.sockets.size > 0) {
        await Promise.race([
          Promise.all(Array.from(this.sockets, (socket) => new Promise((resolve) => socket.once('close', resolve)))),
          new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
        ])
        for (const socket of this.sockets) socket.terminate()
      }
      this.wss.close()
      await new Promise<void>((resolve) => {
        this.http.close(() => resolve())
        this.http.closeAllConnections()
      })
      await this.history.close()
    })()
    return this.closing
  }
}

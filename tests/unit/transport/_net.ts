import { createServer, connect, type Server, type Socket } from 'node:net'
import WebSocket from 'ws'
import { afterEach } from 'vitest'
import { HubServer, type HubServerOptions } from '../../../src/hub/hub-server.js'
import { HubClient, type HubClientOptions } from '../../../src/transport/hub-client.js'
import type { Frame } from '../../../src/transport/protocol.js'

/**
 * A TCP proxy on 127.0.0.1 in front of a hub: a real network path the tests can cut (every
 * connection dropped at once), point elsewhere, or make refuse connections.
 */
export class TcpProxy {
  private readonly server: Server
  private readonly pairs = new Set<[Socket, Socket]>()
  target: number
  refusing = false

  private constructor(server: Server, target: number) {
    this.server = server
    this.target = target
    server.on('connection', (client) => {
      if (this.refusing) {
        client.destroy()
        return
      }
      const upstream = connect({ host: '127.0.0.1', port: this.target })
      const pair: [Socket, Socket] = [client, upstream]
      this.pairs.add(pair)
      const drop = () => {
        client.destroy()
        upstream.destroy()
        this.pairs.delete(pair)
      }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }

  static async start(target: number): Promise<TcpProxy> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
    return new TcpProxy(server, target)
  }

  get port(): number {
    return (this.server.address() as { port: number }).port
  }

  /** Drops every connection through the proxy, as a network failure would. */
  cut(): void {
    for (const [client, upstream] of Array.from(this.pairs)) {
      client.destroy()
      upstream.destroy()
    }
    this.pairs.clear()
  }

  close(): Promise<void> {
    this.cut()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** Hubs, clients and proxies of one test, all closed after it. */
export function useHubs() {
  const servers: HubServer[] = []
  const clients: HubClient[] = []
  const proxies: TcpProxy[] = []
  const sockets: WebSocket[] = []
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate()
    await Promise.all(clients.splice(0).map((client) => client.close()))
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()))
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  return {
    server: async (options: HubServerOptions = {}) => {
      const server = await HubServer.start(options)
      servers.push(server)
      return server
    },
    client: (options: HubClientOptions) => {
      const client = new HubClient(options)
      clients.push(client)
      return client
    },
    proxy: async (target: number) => {
      const proxy = await TcpProxy.start(target)
      proxies.push(proxy)
      return proxy
    },
    /** A raw WebSocket with the token, for sending what a proper client would not. */
    raw: async (server: HubServer, token = server.token) => {
      const socket = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${token}` } })
      sockets.push(socket)
      socket.on('error', () => {})
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve())
        socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)))
      })
      return socket
    },
  }
}

/** Resolves with the close code and reason of a WebSocket (bounded). */
export function closeOf(socket: WebSocket, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket was not closed in time')), timeoutMs)
    socket.once('close', (code, reason) => {
      clearTimeout(timer)
      resolve({ code, reason: reason.toString() })
    })
  })
}

/** Resolves once `check` holds, checking every 10 ms, or rejects after `timeoutMs`. For state with no event to await. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export type { Frame }

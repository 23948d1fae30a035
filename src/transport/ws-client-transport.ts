import WebSocket from 'ws'
import { ErrorCodes, FlakelineError } from '../errors.js'
import type { ClientTransport, ClientTransportEvents, TransportOptions } from './client-transport.js'
import type { Channel } from './protocol.js'
import { WebSocketSendWindow } from './ws-send-window.js'
import { shownHubUrl } from './hub-url.js'

const CLOSE_TIMEOUT_MS = 2000

class WebSocketTransport implements ClientTransport {
  readonly lanes = 'single' as const
  readonly tokenInHello = false
  private readonly socket: WebSocket
  private readonly window: WebSocketSendWindow

  constructor(socket: WebSocket, highWaterBytes: number, events: ClientTransportEvents) {
    this.socket = socket
    this.window = new WebSocketSendWindow(socket, highWaterBytes, () => events.drained())
    socket.on('message', (data, isBinary) => {
      if (isBinary) events.message('ws', data as Buffer)
    })
    socket.on('close', (code, reason) => events.closed(code, reason.toString()))
  }

  send(_channel: Channel, message: Uint8Array): void {
    this.window.send(message)
  }

  writable(): boolean {
    return this.window.writable
  }

  close(code = 1000): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate()
        resolve()
      }, CLOSE_TIMEOUT_MS)
      timer.unref()
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      if (this.socket.readyState !== WebSocket.CLOSING) this.socket.close(code)
    })
  }
}

/**
 * Opens a WebSocket to the hub with the token in the `Authorization` header, so a wrong token is
 * refused before the upgrade. Rejects with `FLAKELINE_E_HUB_AUTH` on 401, `FLAKELINE_E_HUB_UNREACHABLE` otherwise.
 */
export function openWebSocketTransport(url: string, options: TransportOptions, events: ClientTransportEvents): Promise<ClientTransport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${options.token}` },
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      handshakeTimeout: options.connectTimeoutMs,
      // Masking protects HTTP intermediaries from scripts a browser runs; this client is not a
      // browser, and a zero mask lets both ends skip XOR-ing every byte.
      generateMask: (mask: Buffer) => void mask.fill(0),
    })
    let settled = false
    // Errors after the connection opened end in a 'close', which the transport reports.
    socket.on('error', (error) => {
      if (settled) return
      settled = true
      reject(new FlakelineError(ErrorCodes.HUB_UNREACHABLE, `cannot reach the hub at ${shownHubUrl(url)}: ${error.message}`, { cause: error }))
    })
    socket.once('unexpected-response', (request, response) => {
      settled = true
      const status = response.statusCode ?? 0
      response.resume()
      request.destroy()
      reject(
        status === 401
          ? new FlakelineError(ErrorCodes.HUB_AUTH, `the hub at ${shownHubUrl(url)} refused the token (HTTP 401)`)
          : new FlakelineError(ErrorCodes.HUB_UNREACHABLE, `the hub at ${shownHubUrl(url)} answered HTTP ${status} instead of upgrading`),
      )
    })
    socket.once('open', () => {
      settled = true
      resolve(new WebSocketTransport(socket, options.highWaterBytes, events))
    })
  })
}

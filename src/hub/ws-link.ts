import type { WebSocket } from 'ws'
import { CloseCodes, type Channel } from '../transport/protocol.js'
import { WebSocketSendWindow } from '../transport/ws-send-window.js'
import type { HubLink, LinkEvents } from './hub-link.js'

/** A closing socket that does not finish the close handshake in this time is cut. */
const CLOSE_TIMEOUT_MS = 2000

/**
 * The hub side of one WebSocket: a single ordered lane. Bytes handed to `ws` but not yet written
 * to the socket are counted; above `highWaterBytes` the lane is not writable until the socket
 * drains, so a subscriber that stops reading stops costing memory here.
 */
export class WebSocketLink implements HubLink {
  readonly lanes = 'single' as const
  readonly remote: string
  private readonly socket: WebSocket
  private readonly window: WebSocketSendWindow
  private events: LinkEvents | null = null

  constructor(socket: WebSocket, remote: string, highWaterBytes: number) {
    this.socket = socket
    this.remote = remote
    this.window = new WebSocketSendWindow(socket, highWaterBytes, () => this.events?.drained())
  }

  /** Connects the socket's events to the session. */
  attach(events: LinkEvents): void {
    this.events = events
    this.socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        events.reject('text messages are not part of the protocol; send binary MessagePack', CloseCodes.PROTOCOL_ERROR)
        return
      }
      events.receive('ws', data as Buffer)
    })
    this.socket.on('close', () => events.closed())
    // ws closes the socket itself after an error (for example 1009 for an oversized message).
    this.socket.on('error', () => {})
  }

  send(_channel: Channel, message: Uint8Array): void {
    this.window.send(message)
  }

  writable(): boolean {
    return this.window.writable
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.CLOSED) return
    if (this.socket.readyState !== this.socket.CLOSING) this.socket.close(code, reason)
    setTimeout(() => this.socket.terminate(), CLOSE_TIMEOUT_MS).unref()
  }
}

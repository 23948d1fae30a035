import type { Channel } from './protocol.js'

/** What a client transport tells the client. */
export interface ClientTransportEvents {
  /** A whole message arrived on the lane called `lane`. */
  message(lane: string, message: Uint8Array): void
  /** A full lane can take more. */
  drained(): void
  /** The connection ended; `code` is the close code (WebSocket) or application error code (QUIC). */
  closed(code: number, reason: string): void
}

/** A connected transport, WebSocket or QUIC, as the hub client uses it. */
export interface ClientTransport {
  readonly lanes: 'single' | 'per-channel'
  /** Whether the token must travel in the hello (QUIC); a WebSocket sent it with the upgrade. */
  readonly tokenInHello: boolean
  send(channel: Channel, message: Uint8Array): void
  writable(channel: Channel): boolean
  /** Closes after what was sent, within a bounded time. Never rejects. */
  close(code?: number): Promise<void>
}

/** Options shared by both transports. */
export interface TransportOptions {
  token: string
  maxMessageBytes: number
  highWaterBytes: number
  connectTimeoutMs: number
}

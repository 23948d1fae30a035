import type { Channel } from '../transport/protocol.js'

/**
 * What a hub session needs from its transport. A WebSocket is one ordered lane; QUIC gives each
 * channel its own stream, so a stalled channel does not hold up the others.
 */
export interface HubLink {
  /** `single`: every channel shares one ordered lane. `per-channel`: one lane per channel. */
  readonly lanes: 'single' | 'per-channel'
  /** Where the peer is, for messages. */
  readonly remote: string
  /** Sends one message (frames back to back) on the lane of `channel`. */
  send(channel: Channel, message: Uint8Array): void
  /** Whether the lane of `channel` takes more now; when it does not, the link calls `drained()` later. */
  writable(channel: Channel): boolean
  /** Closes the connection after what was sent. Idempotent. */
  close(code: number, reason: string): void
}

/** What a link calls on its session. */
export interface LinkEvents {
  /** A whole message arrived on the lane called `lane`. */
  receive(lane: string, message: Uint8Array): void
  /** The transport met something outside the protocol (a text frame, an oversized message): close with `closeCode`. */
  reject(message: string, closeCode: number): void
  /** A lane that was full can take more. */
  drained(): void
  /** The connection is gone. */
  closed(): void
}

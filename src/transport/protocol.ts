/**
 * The flakeline live protocol, version 1: what travels between publishers, the hub and
 * subscribers. Every frame is a MessagePack array `[channel, seq, type, payload]`.
 */

/** Bumped only for changes old clients cannot read. */
export const PROTOCOL_VERSION = 1

/** Channels multiplexed over one connection. `control` is per connection; the others are logged by the hub. */
export const CHANNELS = ['run', 'results', 'console', 'analysis', 'control'] as const
export type Channel = (typeof CHANNELS)[number]

/** Channels whose frames the hub numbers, keeps in a replay log and fans out. */
export type DataChannel = Exclude<Channel, 'control'>
export const DATA_CHANNELS: readonly DataChannel[] = ['run', 'results', 'console', 'analysis']

/**
 * Channels a subscriber must receive whole: a subscriber that cannot keep up with them is
 * disconnected rather than silently losing a result. `console` is bulk output, so it is the one
 * channel that may be coalesced or dropped (with a `dropped` notice) when a subscriber lags.
 */
export const LOSSLESS_CHANNELS: ReadonlySet<DataChannel> = new Set(['run', 'results', 'analysis'])

/** One frame: channel, sequence number (per channel), type, payload. */
export type Frame = [channel: Channel, seq: number, type: string, payload: unknown]

/** Frame types of the `control` channel. */
export const ControlTypes = {
  /** client → hub, first frame: `{ protocol, token?, records?, client? }`. */
  HELLO: 'hello',
  /** hub → client: `{ protocol, hub, hubId, heads, oldest }`. */
  WELCOME: 'welcome',
  /** client → hub: `{ channels, since? }`; `since[channel]` is the last seq the client has. */
  SUBSCRIBE: 'subscribe',
  /** hub → client: `{ channels, from }`, the first seq that will be sent on each channel. */
  SUBSCRIBED: 'subscribed',
  /** client → hub: `{ channels }`. */
  UNSUBSCRIBE: 'unsubscribe',
  /** client → hub: `{ publisher }`, a stable id across reconnects. */
  PUBLISH: 'publish',
  /** hub → client: `{ publisher, received }`, the last publisher seq the hub has per channel. */
  PUBLISHING: 'publishing',
  /** hub → client: `{ channel, from, to }`: frames the hub no longer has (replay asked for too much). */
  GAP: 'gap',
  /** hub → client: `{ channel, from, to, count }`: console frames skipped because the client lagged. */
  DROPPED: 'dropped',
  /** client → hub: any payload. */
  PING: 'ping',
  /** hub → client: `{ ping, received }`: the ping's payload, and for a publisher the last seq the hub has per channel. */
  PONG: 'pong',
  /** hub → client, just before the hub closes the connection: `{ code, reason }`. */
  BYE: 'bye',
  /** hub → client, just before a protocol close: `{ code, message }`. */
  ERROR: 'error',
} as const

/**
 * WebSocket close codes, also used as QUIC application error codes. The WebSocket upgrade is
 * refused with HTTP 401 before any close code when the token is wrong.
 */
export const CloseCodes = {
  NORMAL: 1000,
  /** The hub is shutting down. */
  GOING_AWAY: 1001,
  /** ws's own code for a message over the size limit. */
  MESSAGE_TOO_BIG: 1009,
  /** QUIC only: the hello's token was missing or wrong. */
  UNAUTHORIZED: 4001,
  /** The client sent something that is not a valid frame, or a frame out of protocol. */
  PROTOCOL_ERROR: 4002,
  /** QUIC only: a message over the size limit. */
  FRAME_TOO_LARGE: 4003,
  /** The client speaks a protocol version this hub does not. */
  UNSUPPORTED_VERSION: 4004,
  /** No hello within the time allowed. */
  HELLO_TIMEOUT: 4005,
  /** The subscriber stayed too far behind on a lossless channel. */
  TOO_SLOW: 4008,
} as const

/** Limits a hub and its clients agree on. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
/** ALPN protocol of the QUIC transport. */
export const QUIC_ALPN = 'flakeline/1'

export function isDataChannel(value: unknown): value is DataChannel {
  return typeof value === 'string' && (DATA_CHANNELS as readonly string[]).includes(value)
}

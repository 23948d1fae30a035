// The parts of @matrixai/quic flakeline uses; checked against 2.0.9 (its dist/*.d.ts). The package
// is an optional peer: these interfaces let flakeline compile, and its declarations be read, without it.

/** How a listener is added to the library's objects (each wraps an `EventTarget`). */
type AddEventListener = (type: string, listener: (event: Event) => void, options?: { once?: boolean }) => void

/** An event the library dispatches; `detail` is what it carries. */
export interface QuicEvent<Detail> extends Event {
  readonly detail: Detail
}

/** A class of `events`: flakeline listens by its `name`, which is the type its events are dispatched as. */
export interface QuicEventClass {
  readonly name: string
}

/** The event classes flakeline listens for, with what their events' `detail` holds. */
export interface QuicEvents {
  /** On a server: a client connected; `detail` is the {@link QuicConnection}. */
  EventQUICServerConnection: QuicEventClass
  /** On a connection: the peer opened a stream; `detail` is the {@link QuicStream}. */
  EventQUICConnectionStream: QuicEventClass
  /** On a connection: it closed, gracefully or not; `detail` is a {@link QuicConnectionError}. */
  EventQUICConnectionError: QuicEventClass
  /** On a connection: it has stopped; no `detail`. */
  EventQUICConnectionStopped: QuicEventClass
}

/**
 * The `detail` of `EventQUICConnectionError`. A close by either side carries the close in `data`
 * (`ErrorQUICConnectionLocal`, `ErrorQUICConnectionPeer`); an idle timeout or internal error does not.
 */
export interface QuicConnectionError extends Error {
  data?: { isApp?: boolean; errorCode?: number; reason?: Uint8Array }
}

/**
 * The logger the library takes. It calls only `getChild`, `info` and `debug` (2.0.9); the rest is
 * here in case a later 2.x calls them.
 */
export interface QuicLogger {
  getChild(key: string): QuicLogger
  debug(message?: unknown): void
  info(message?: unknown): void
  warn(message?: unknown): void
  error(message?: unknown): void
  setLevel(level: number): void
  getEffectiveLevel(): number
}

/** The `config` flakeline sets (all of the library's `QUICConfig` is optional on input). */
export interface QuicConfig {
  applicationProtos?: string[]
  verifyPeer?: boolean
  /** The peer's certificates, leaf first, in DER; resolves to a TLS alert as a crypto error code to refuse them. */
  verifyCallback?: (certs: Uint8Array[], ca: Uint8Array[]) => PromiseLike<number | undefined>
  maxIdleTimeout?: number
  keepAliveIntervalTime?: number
  maxSendUdpPayloadSize?: number
  maxRecvUdpPayloadSize?: number
  initialMaxData?: number
  initialMaxStreamDataBidiLocal?: number
  initialMaxStreamDataBidiRemote?: number
  readableChunkSize?: number
}

/** How a connection, client or server is stopped; with `isApp`, `errorCode` is the application's close code. */
export interface QuicStopOptions {
  isApp?: boolean
  errorCode?: number
  reason?: Uint8Array
  /** Cancel the streams instead of waiting for them to end. */
  force?: boolean
}

/** One bidirectional stream of a connection. */
export interface QuicStream {
  readonly streamId: number
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
}

/** One connection, on either side. */
export interface QuicConnection {
  readonly remoteHost: string
  readonly remotePort: number
  newStream(type: 'bidi'): QuicStream
  stop(options?: QuicStopOptions): Promise<void>
  addEventListener: AddEventListener
}

/** `new QUICServer(options)`. */
export interface QuicServerOptions {
  crypto: {
    /** Signs the stateless retry tokens. */
    key: ArrayBuffer
    ops: {
      sign(key: ArrayBuffer, data: ArrayBuffer): Promise<ArrayBuffer>
      verify(key: ArrayBuffer, data: ArrayBuffer, signature: ArrayBuffer): Promise<boolean>
    }
  }
  /** `key` and `cert` are PEM. */
  config: QuicConfig & { key: string; cert: string }
  logger?: QuicLogger
}

/** A QUIC server: one UDP socket, many connections. */
export interface QuicServer {
  /** The bound port, once started. */
  readonly port: number
  start(options?: { host?: string; port?: number }): Promise<void>
  stop(options?: QuicStopOptions): Promise<void>
  addEventListener: AddEventListener
}

/** `QUICClient.createQUICClient(options, context)`. */
export interface QuicClientOptions {
  /** An IP address. */
  host: string
  port: number
  localHost?: string
  crypto: { ops: { randomBytes(data: ArrayBuffer): Promise<void> } }
  config?: QuicConfig
  logger?: QuicLogger
}

/** A connected client: its one connection. */
export interface QuicClient {
  readonly connection: QuicConnection
  readonly closed: boolean
  destroy(options?: QuicStopOptions): Promise<void>
}

/** The module's exports flakeline uses. */
export interface QuicApi {
  QUICServer: new (options: QuicServerOptions) => QuicServer
  QUICClient: {
    /** Resolves once the handshake is done; rejects after `context.timer` ms. */
    createQUICClient(options: QuicClientOptions, context?: { timer?: number }): Promise<QuicClient>
  }
  events: QuicEvents
}

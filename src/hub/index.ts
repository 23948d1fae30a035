// `flakeline/hub`: the live streaming pieces for your own tools: a client that subscribes and
// publishes over WebSocket or QUIC, a hub to serve, and the protocol's names and codes. Kept out of
// the package root so a run that does not stream never loads ws or QUIC.
export { HubClient, type HubClientOptions } from '../transport/hub-client.js'
export { HubServer, type HubServerOptions } from './hub-server.js'
export type { ChannelHubOptions } from './hub-options.js'
export { FrameCodec, encodeFrame } from '../transport/frame-codec.js'
export {
  CHANNELS,
  CloseCodes,
  ControlTypes,
  DATA_CHANNELS,
  DEFAULT_MAX_MESSAGE_BYTES,
  LOSSLESS_CHANNELS,
  PROTOCOL_VERSION,
  QUIC_ALPN,
  type Channel,
  type DataChannel,
  type Frame,
} from '../transport/protocol.js'

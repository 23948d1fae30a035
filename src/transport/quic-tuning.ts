/**
 * `@matrixai/quic` spends most of its time per datagram, so on loopback (where no link limits the
 * datagram size) datagrams of up to 64 KiB and larger flow-control windows multiply its throughput.
 * Off loopback the defaults (1200-byte datagrams) stay, which every path carries.
 */
export function quicTuning(host: string): { maxSendUdpPayloadSize?: number; maxRecvUdpPayloadSize?: number; initialMaxData: number; initialMaxStreamDataBidiLocal: number; initialMaxStreamDataBidiRemote: number; readableChunkSize: number } {
  const loopback = host === '::1' || host === 'localhost' || host.startsWith('127.')
  const windows = { initialMaxData: 32 * 1024 * 1024, initialMaxStreamDataBidiLocal: 8 * 1024 * 1024, initialMaxStreamDataBidiRemote: 8 * 1024 * 1024, readableChunkSize: 64 * 1024 }
  // Both ends must allow big datagrams: a peer advertises the size it receives (quiche's default is 1350).
  return loopback ? { ...windows, maxSendUdpPayloadSize: 65_000, maxRecvUdpPayloadSize: 65_527 } : windows
}

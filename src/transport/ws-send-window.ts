import WebSocket from 'ws'

/**
 * Sends binary messages on a WebSocket and counts the bytes the socket has not yet taken: above
 * `highWaterBytes` it stops being writable until they drain, and then `drained` is called. Both
 * ends of a WebSocket connection (the hub's link and the client's transport) push back this way.
 */
export class WebSocketSendWindow {
  private readonly socket: WebSocket
  private readonly highWaterBytes: number
  private readonly drained: () => void
  private inFlight = 0
  private blocked = false

  constructor(socket: WebSocket, highWaterBytes: number, drained: () => void) {
    this.socket = socket
    this.highWaterBytes = highWaterBytes
    this.drained = drained
  }

  send(message: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return
    this.inFlight += message.length
    if (this.inFlight >= this.highWaterBytes) this.blocked = true
    this.socket.send(message, { binary: true }, () => {
      this.inFlight -= message.length
      if (this.blocked && this.inFlight < this.highWaterBytes) {
        this.blocked = false
        this.drained()
      }
    })
  }

  get writable(): boolean {
    return this.socket.readyState === WebSocket.OPEN && this.inFlight < this.highWaterBytes
  }
}

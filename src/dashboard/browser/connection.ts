import { Packr, Unpackr } from 'msgpackr'

const CHANNELS = ['run', 'results', 'console', 'analysis'] as const
type DataChannel = (typeof CHANNELS)[number]

export interface ConnectionEvents {
  frame(channel: DataChannel, type: string, payload: unknown): void
  notice(type: string, payload: Record<string, unknown>): void
  /** A different hub answered (restarted): everything known is stale. */
  reset(): void
  state(state: 'connecting' | 'live' | 'reconnecting' | 'unauthorized'): void
}

const packr = new Packr({ useRecords: false })

/**
 * The dashboard's connection to its hub: one WebSocket, every data channel, resumed after a drop
 * from the last seq seen per channel, so the page misses nothing the hub still keeps.
 */
export class HubConnection {
  private readonly token: string
  private readonly events: ConnectionEvents
  private readonly positions: Record<DataChannel, number> = { run: 0, results: 0, console: 0, analysis: 0 }
  private hubId: string | null = null
  private attempt = 0
  private controlSeq = 0

  constructor(token: string, events: ConnectionEvents) {
    this.token = token
    this.events = events
  }

  connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const socket = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(this.token)}`)
    socket.binaryType = 'arraybuffer'
    // Records (msgpackr structures) refer back to earlier frames of this connection only: a new
    // connection gets a new decoder.
    const unpackr = new Unpackr({ sequential: true, mapsAsObjects: true })
    this.controlSeq = 0
    let opened = false
    const send = (type: string, payload: unknown) => socket.send(packr.pack(['control', ++this.controlSeq, type, payload]))
    socket.onopen = () => {
      opened = true
      send('hello', { protocol: 1, records: true, client: 'flakeline-dashboard' })
    }
    socket.onmessage = (event) => {
      const frames = unpackr.unpackMultiple(new Uint8Array(event.data as ArrayBuffer)) as Array<[string, number, string, unknown]>
      for (const [channel, seq, type, payload] of frames) {
        if (channel === 'control') this.control(type, (payload ?? {}) as Record<string, unknown>, send)
        else if ((CHANNELS as readonly string[]).includes(channel)) {
          const data = channel as DataChannel
          if (seq <= this.positions[data]) continue
          this.positions[data] = seq
          this.events.frame(data, type, payload)
        }
      }
    }
    socket.onclose = () => {
      if (!opened) {
        // A refused upgrade (wrong token) never opens; the page checks the token over HTTP to tell.
        void fetch(`/api/runs?limit=1&token=${encodeURIComponent(this.token)}`).then((response) => {
          if (response.status === 401) this.events.state('unauthorized')
          else this.retry()
        }, () => this.retry())
        return
      }
      this.retry()
    }
  }

  private retry(): void {
    this.events.state('reconnecting')
    const ceiling = Math.min(5000, 200 * 2 ** Math.min(this.attempt++, 10))
    setTimeout(() => this.connect(), ceiling / 2 + (Math.random() * ceiling) / 2)
  }

  private control(type: string, payload: Record<string, unknown>, send: (type: string, payload: unknown) => void): void {
    if (type === 'welcome') {
      const hubId = typeof payload.hubId === 'string' ? payload.hubId : null
      if (this.hubId !== null && hubId !== this.hubId) {
        for (const channel of CHANNELS) this.positions[channel] = 0
        this.events.reset()
      }
      this.hubId = hubId
      this.attempt = 0
      send('subscribe', { channels: CHANNELS, since: { ...this.positions } })
      this.events.state('live')
      return
    }
    this.events.notice(type, payload)
  }
}

import type { ResolvedOptions } from '../config/load-options.js'
import type { Notices } from '../core/notices.js'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import type { HubServer } from '../hub/hub-server.js'
import type { HubClient } from '../transport/hub-client.js'
import type { DataChannel } from '../transport/protocol.js'

/** Where live frames go. `publish` never blocks; `close` is bounded and returns a problem instead of rejecting. */
export interface LiveSink {
  publish(channel: DataChannel, type: string, payload: unknown): void
  close(): Promise<FlakelineError | null>
}

/** At the end of a run, a remote hub gets this long to confirm it has every frame. */
const FLUSH_TIMEOUT_MS = 3000
/** When the hub was unreachable all along, the end of the run waits only this long for it. */
const UNREACHABLE_FLUSH_MS = 300
/** Subscribers of an in-process hub get this long to receive the end of the run before it closes. */
const SETTLE_TIMEOUT_MS = 1000
/** Frames kept while an in-process hub is still starting, or a hub client's modules still load. */
const MAX_EARLY_FRAMES = 10_000

/**
 * Publishes to a remote hub through a `HubClient`, which reconnects and resends on its own. The
 * client's modules (ws, QUIC) are loaded only when a run streams, so frames wait while they load.
 */
class RemoteSink implements LiveSink {
  private client: HubClient | null = null
  private early: Array<[DataChannel, string, unknown]> | null = []
  /** Resolves with the problem when the client could not be made, null once it is. */
  readonly problem: Promise<FlakelineError | null>

  constructor(open: Promise<HubClient>) {
    this.problem = open.then(
      (client) => {
        this.client = client
        for (const [channel, type, payload] of this.early ?? []) client.publish(channel, type, payload)
        this.early = null
        return null
      },
      (error: unknown) => {
        this.early = null
        return asFlakelineError(error, ErrorCodes.HUB_UNREACHABLE, 'cannot publish to the live hub')
      },
    )
  }

  publish(channel: DataChannel, type: string, payload: unknown): void {
    if (this.client) this.client.publish(channel, type, payload)
    else if (this.early && this.early.length < MAX_EARLY_FRAMES) this.early.push([channel, type, payload])
  }

  async close(): Promise<FlakelineError | null> {
    const problem = await this.problem
    const client = this.client
    if (!client) return problem
    const flushed = await client.flush(client.connected ? FLUSH_TIMEOUT_MS : UNREACHABLE_FLUSH_MS)
    await client.close()
    if (flushed) return null
    return new FlakelineError(ErrorCodes.HUB_UNREACHABLE, `the hub at ${client.address.url} did not confirm every live frame; the run's results are in the store`)
  }
}

/** Serves a hub from this process and publishes straight into it; frames wait while it starts. */
class InProcessSink implements LiveSink {
  private server: HubServer | null = null
  private early: Array<[DataChannel, string, unknown]> | null = []
  private readonly starting: Promise<FlakelineError | null>

  constructor(start: Promise<HubServer>) {
    this.starting = start.then(
      (server) => {
        this.server = server
        for (const [channel, type, payload] of this.early ?? []) server.hub.publish(channel, type, payload)
        this.early = null
        return null
      },
      (error: unknown) => {
        this.early = null
        return asFlakelineError(error, ErrorCodes.HUB_LISTEN, 'cannot serve the live hub')
      },
    )
  }

  publish(channel: DataChannel, type: string, payload: unknown): void {
    if (this.server) this.server.hub.publish(channel, type, payload)
    else if (this.early && this.early.length < MAX_EARLY_FRAMES) this.early.push([channel, type, payload])
  }

  async close(): Promise<FlakelineError | null> {
    const problem = await this.starting
    if (this.server) {
      await this.server.hub.settle(SETTLE_TIMEOUT_MS)
      await this.server.close()
    }
    return problem
  }
}

/** The sink the options ask for: an in-process hub for `serve`, a `HubClient` for `hub`. */
export function openLiveSink(options: ResolvedOptions, publisher: string, notices: Notices, onProblem: (error: FlakelineError) => void): LiveSink {
  if (options.hub) {
    const hub = options.hub
    const client = import('../transport/hub-client.js').then(({ HubClient }) => new HubClient({ url: hub, token: options.token!, publisher, client: 'flakeline-reporter', onProblem }))
    const sink = new RemoteSink(client)
    // A client that cannot even be made is warned at once, not at the end of the run.
    void sink.problem.then((problem) => problem && onProblem(problem))
    return sink
  }
  const serve = typeof options.serve === 'object' ? options.serve : { port: typeof options.serve === 'number' ? options.serve : 0 }
  const start = import('../hub/hub-server.js').then(({ HubServer }) =>
    HubServer.start({ host: serve.host, port: serve.port ?? 0, quicPort: serve.quicPort ?? null, token: options.token, storeDir: options.dir }),
  )
  void start.then((server) => {
    const link = `${server.dashboardUrl}?token=${encodeURIComponent(server.token)}`
    notices.info(`live dashboard at ${link}${server.quicUrl ? ` (QUIC ${server.quicUrl})` : ''}`)
  }, () => {})
  return new InProcessSink(start)
}

import type { ResolvedOptions } from '../config/load-options.js'
import type { Notices } from '../core/notices.js'
import { ErrorCodes, FlakelineError, asFlakelineError, type ErrorCode } from '../errors.js'
import type { HubServer } from '../hub/hub-server.js'
import type { HubClient } from '../transport/hub-client.js'
import type { DataChannel } from '../transport/protocol.js'
import { shownHubUrl } from '../transport/hub-url.js'
import { afterRunFacts, closedLine, keepDashboardUp, keepHub, stayUpLine, takeKeptHub, untilStopped } from './dashboard-after-run.js'

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
/** Frames kept while a sink is still opening (a hub starting, a hub client's modules loading). */
const MAX_EARLY_FRAMES = 10_000

/** Publishes to a remote hub through a `HubClient`, which reconnects and resends on its own. */
class RemoteSink implements LiveSink {
  private readonly client: HubClient

  constructor(client: HubClient) {
    this.client = client
  }

  publish(channel: DataChannel, type: string, payload: unknown): void {
    this.client.publish(channel, type, payload)
  }

  async close(): Promise<FlakelineError | null> {
    const flushed = await this.client.flush(this.client.connected ? FLUSH_TIMEOUT_MS : UNREACHABLE_FLUSH_MS)
    await this.client.close()
    if (flushed) return null
    return new FlakelineError(ErrorCodes.HUB_UNREACHABLE, `the hub at ${shownHubUrl(this.client.address.url)} did not confirm every live frame; the run's results are in the store`)
  }
}

/** Serves a hub from this process and publishes straight into it. */
class InProcessSink implements LiveSink {
  private readonly server: HubServer
  private readonly afterRun: (server: HubServer) => Promise<void>

  constructor(server: HubServer, afterRun: (server: HubServer) => Promise<void>) {
    this.server = server
    this.afterRun = afterRun
  }

  publish(channel: DataChannel, type: string, payload: unknown): void {
    this.server.hub.publish(channel, type, payload)
  }

  /** Lets subscribers take the end of the run, then closes the hub, keeps it, or waits to be stopped (`keepDashboardUp`). */
  async close(): Promise<FlakelineError | null> {
    await this.server.hub.settle(SETTLE_TIMEOUT_MS)
    await this.afterRun(this.server)
    return null
  }
}

/**
 * A sink still opening: frames wait in a bounded buffer and go to the sink once it is open. The
 * streaming modules (ws, QUIC, the hub) are loaded only when a run streams, so every sink opens so.
 */
class OpeningSink implements LiveSink {
  private sink: LiveSink | null = null
  private early: Array<[DataChannel, string, unknown]> | null = []
  /** Resolves with the problem when the sink could not be opened, null once it is. */
  readonly problem: Promise<FlakelineError | null>

  constructor(opening: Promise<LiveSink>, code: ErrorCode, what: string) {
    this.problem = opening.then(
      (sink) => {
        this.sink = sink
        for (const [channel, type, payload] of this.early ?? []) sink.publish(channel, type, payload)
        this.early = null
        return null
      },
      (error: unknown) => {
        this.early = null
        return asFlakelineError(error, code, what)
      },
    )
  }

  publish(channel: DataChannel, type: string, payload: unknown): void {
    if (this.sink) this.sink.publish(channel, type, payload)
    else if (this.early && this.early.length < MAX_EARLY_FRAMES) this.early.push([channel, type, payload])
  }

  async close(): Promise<FlakelineError | null> {
    const problem = await this.problem
    return this.sink ? this.sink.close() : problem
  }
}

/**
 * The sink the options ask for: an in-process hub for `serve`, a `HubClient` for `hub`. When the
 * run ends, a `serve` hub closes, stays up until the user stops it, or stays for the next run of
 * this process: see `keepDashboardUp`.
 */
export function openLiveSink(options: ResolvedOptions, publisher: string, runner: string, notices: Notices, onProblem: (error: FlakelineError) => void): LiveSink {
  if (options.hub) {
    const hub = options.hub
    const client = import('../transport/hub-client.js').then(
      ({ HubClient }) => new RemoteSink(new HubClient({ url: hub, token: options.token!, publisher, client: 'flakeline-reporter', onProblem })),
    )
    const sink = new OpeningSink(client, ErrorCodes.HUB_UNREACHABLE, 'cannot publish to the live hub')
    // A client that cannot even be made is warned at once, not at the end of the run.
    void sink.problem.then((problem) => problem && onProblem(problem))
    return sink
  }
  const serve = typeof options.serve === 'object' ? options.serve : { port: typeof options.serve === 'number' ? options.serve : 0 }
  // A hub kept by this process's previous run (watch mode) serves this run too, at the same address.
  const settings = JSON.stringify([serve.host ?? null, serve.port ?? 0, serve.quicPort ?? null, options.token ?? null, options.dir])
  const start = takeKeptHub(settings).then(
    async (kept) =>
      kept ??
      import('../hub/hub-server.js').then(({ HubServer }) =>
        HubServer.start({ host: serve.host, port: serve.port ?? 0, quicPort: serve.quicPort ?? null, token: options.token, storeDir: options.dir }),
      ),
  )
  const link = (server: HubServer) => `${server.dashboardUrl}?token=${encodeURIComponent(server.token)}`
  void start.then((server) => {
    notices.info(`live dashboard at ${link(server)}${server.quicUrl ? ` (QUIC ${server.quicUrl})` : ''}`)
  }, () => {})
  const afterRun = async (server: HubServer): Promise<void> => {
    const decision = keepDashboardUp(afterRunFacts(options.serve))
    if (decision.action === 'keep') {
      keepHub(server, settings)
      notices.info(`the dashboard stays up at ${link(server)} for the next run`)
      return
    }
    if (decision.action === 'close') {
      await server.close()
      notices.info(closedLine(decision.reason, options))
      return
    }
    // Even when quiet: the run now waits for the user, who must be told why and how to go on.
    notices.always(stayUpLine(link(server), runner))
    await untilStopped()
    await server.close()
    notices.always('the dashboard stopped')
  }
  return new OpeningSink(
    start.then((server) => new InProcessSink(server, afterRun)),
    ErrorCodes.HUB_LISTEN,
    'cannot serve the live hub',
  )
}

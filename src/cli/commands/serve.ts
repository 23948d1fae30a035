import { ErrorCodes, FlakelineError, asFlakelineError } from '../../errors.js'
import { HubServer } from '../../hub/hub-server.js'
import { ExitCodes, type CliIO } from '../cli-io.js'
import type { Command } from '../command.js'
import { parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'
import { ensureSound } from '../../store/store-soundness.js'

const usage = 'flakeline serve [--host H] [--port P] [--quic-port Q] [--token T] [--dir DIR] [--tls-cert F --tls-key F]'

/** The port `serve` listens on unless told otherwise. */
export const DEFAULT_SERVE_PORT = 7357

const OPTIONS = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string' },
  'quic-port': { type: 'string' },
  token: { type: 'string' },
  dir: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const

function port(text: string | undefined, flag: string, fallback: number | null): number | null {
  if (text === undefined) return fallback
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new FlakelineError(ErrorCodes.USAGE, `${flag} must be a port from 0 to 65535, got ${JSON.stringify(text)}\nusage: ${usage}`)
  return Number(text)
}

/** Resolves when `io.signal` aborts, or on SIGINT/SIGTERM in a real process. */
function stopped(io: CliIO): Promise<void> {
  if (io.signal) return io.signal.aborted ? Promise.resolve() : new Promise((resolve) => io.signal!.addEventListener('abort', () => resolve(), { once: true }))
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'live hub, dashboard and read-only history API; prints the dashboard address first',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS, usage)
    const { options, warnings } = await cliOptions(io, values.dir)
    const tokenGiven = values.token ?? io.env.FLAKELINE_TOKEN
    // A damaged store is not opened here either (LMDB can abort the process that reads it): the hub
    // then serves live runs without the history API.
    const storeProblem = await ensureSound(options.dir).then(
      () => null,
      (error: unknown) => asFlakelineError(error, ErrorCodes.STORE_OPEN, 'cannot check the store'),
    )
    const server = await HubServer.start({
      host: values.host,
      port: port(values.port, '--port', DEFAULT_SERVE_PORT)!,
      quicPort: port(values['quic-port'], '--quic-port', null),
      token: tokenGiven || undefined,
      storeDir: storeProblem ? undefined : options.dir,
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
    })
    // The first line is the address alone, so scripts can read it; the rest explains.
    io.stdout(`${server.dashboardUrl}\n`)
    const token = tokenGiven ? '<your token>' : server.token
    const lines = [
      `open      ${server.dashboardUrl}?token=${token}`,
      `publish   FLAKELINE_HUB=${server.wsUrl} FLAKELINE_TOKEN=${token}`,
      ...(server.quicUrl ? [`quic      FLAKELINE_HUB=${server.quicUrl} FLAKELINE_TOKEN=${token}`] : []),
      storeProblem ? `history   not served: ${storeProblem.code}` : `history   ${options.dir} (read-only)`,
      'stop      Ctrl+C',
    ]
    io.stdout(lines.map((line) => `flakeline: ${line}\n`).join(''))
    for (const warning of warnings) io.stderr(`${warning}\n`)
    if (storeProblem) io.stderr(`flakeline: warning ${storeProblem.code}: ${storeProblem.message}\n`)
    await stopped(io)
    await server.close()
    io.stdout('flakeline: hub stopped\n')
    return ExitCodes.OK
  },
}

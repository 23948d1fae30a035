import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { HistoryStore } from '../store/history-store.js'
import { ExitCodes, type CliIO } from './cli-io.js'
import { cliOptions } from './store-location.js'
import { openSoundStore } from '../store/store-soundness.js'

/** A CLI command: arguments after its name in, exit code out. */
export interface Command {
  name: string
  summary: string
  usage: string
  run: (args: string[], io: CliIO) => Promise<number>
}

type Options = NonNullable<ParseArgsConfig['options']>

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>

/** Parses a command's arguments; a bad argument becomes a `FLAKELINE_E_USAGE` error. */
export function parseCommandArgs<O extends Options>(args: string[], options: O, usage: string): Parsed<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new FlakelineError(ErrorCodes.USAGE, `${detail}\nusage: ${usage}`)
  }
}

/** Writes an error with its code and returns the exit code that goes with it. */
export function reportError(io: CliIO, error: unknown): number {
  const flakeline = error instanceof FlakelineError ? error : null
  io.stderr(`flakeline: ${flakeline ? `${flakeline.code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`)
  if (!flakeline) return ExitCodes.FAILURE
  if (flakeline.code === ErrorCodes.USAGE || flakeline.code === ErrorCodes.CONFIG) return ExitCodes.USAGE
  if (flakeline.code === ErrorCodes.NOT_FOUND) return ExitCodes.NOT_FOUND
  if (flakeline.code.startsWith('FLAKELINE_E_STORE')) return ExitCodes.STORE
  return ExitCodes.FAILURE
}

/** Opens the store read-only for a command, runs `body`, and always closes it. */
export async function withStore<T>(io: CliIO, dirFlag: string | undefined, body: (store: HistoryStore) => T | Promise<T>): Promise<T> {
  const { options, warnings } = await cliOptions(io, dirFlag)
  for (const warning of warnings) io.stderr(`${warning}\n`)
  const store = await openSoundStore(options.dir, { historyLimit: options.historyLimit, readOnly: true })
  try {
    return await body(store)
  } finally {
    await store.close()
  }
}

export const STORE_OPTIONS = {
  dir: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies Options

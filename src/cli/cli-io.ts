/** What a CLI command may touch, so commands run in-process in tests. */
export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  cwd: string
  /** Whether stdout is a terminal (progress bars, colour). */
  isTTY: boolean
  /** Stops long-running commands (`serve`); without it they stop on SIGINT or SIGTERM. */
  signal?: AbortSignal
}

/** Exit codes of the `flakeline` command; listed in the README. */
export const ExitCodes = {
  OK: 0,
  /** The command ran and found a problem (an unhealthy store, a failed demo run). */
  FAILURE: 1,
  /** Bad arguments or options. */
  USAGE: 2,
  /** The store could not be opened or read. */
  STORE: 3,
  /** Nothing matched the query. */
  NOT_FOUND: 4,
} as const

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  }
}

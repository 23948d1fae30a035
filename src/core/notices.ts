import { FlakelineError } from '../errors.js'

/** Where flakeline's own lines go; tests pass a collector. */
export type NoticeSink = (line: string) => void

const stderrSink: NoticeSink = (line) => {
  process.stderr.write(`${line}\n`)
}

/**
 * flakeline's voice inside a test run: each warning once, prefixed, on stderr (stdout may carry a
 * runner's machine-readable output). Mirrors Jest's `getLastError()`: the last problem is kept.
 */
export class Notices {
  private readonly seen = new Set<string>()
  private readonly sink: NoticeSink
  private readonly quiet: boolean
  lastError: FlakelineError | undefined

  constructor(options: { quiet?: boolean; sink?: NoticeSink } = {}) {
    this.quiet = options.quiet ?? false
    this.sink = options.sink ?? stderrSink
  }

  /** Prints a warning once per distinct message. */
  warn(error: FlakelineError): void {
    this.lastError = error
    const line = `flakeline: warning ${error.code}: ${error.message}`
    if (this.seen.has(line)) return
    this.seen.add(line)
    this.sink(line)
  }

  /** Prints an informational line unless quiet. */
  info(message: string): void {
    if (!this.quiet) this.sink(`flakeline: ${message}`)
  }

  /** Prints a line even when quiet: for what the user has to act on (a run that waits for them). */
  always(message: string): void {
    this.sink(`flakeline: ${message}`)
  }

  /**
   * Prints an informational line the first time it is given: for facts about the setup (a limit
   * that applies, a feature that is off) that would repeat on every plan of a watch session or of
   * a multi-project run without saying anything new.
   */
  infoOnce(message: string): void {
    const line = `flakeline: ${message}`
    if (this.seen.has(line)) return
    this.seen.add(line)
    this.info(message)
  }
}

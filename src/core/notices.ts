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
  private readonly seen: Set<string>
  private readonly problems: Set<string>
  private readonly sink: NoticeSink
  private readonly quiet: boolean
  lastError: FlakelineError | undefined

  constructor(options: { quiet?: boolean; sink?: NoticeSink } = {}) {
    this.quiet = options.quiet ?? false
    this.sink = options.sink ?? stderrSink
    // The sequencer and the reporter each have their own Notices (they are loaded apart); writing to
    // the terminal, they share what they said, so one problem is one warning per run, not one each.
    this.seen = options.sink ? new Set() : shared('flakeline.noticesSeen')
    this.problems = options.sink ? new Set() : shared('flakeline.problemsSaid')
  }

  /**
   * Prints a warning once per problem: once per distinct message, and once per root cause (the
   * reporter's "cannot start recording" and the sequencer's "cannot plan" of one corrupt store are
   * one problem).
   */
  warn(error: FlakelineError): void {
    this.lastError = error
    const line = `flakeline: warning ${error.code}: ${error.message}`
    const root = rootCause(error)
    const problem = `${root.code}: ${root.message}`
    if (this.seen.has(line) || this.problems.has(problem)) return
    this.seen.add(line)
    this.problems.add(problem)
    this.sink(line)
  }

  /** Forgets what was said, so the next run (watch mode) warns again. */
  static endRun(): void {
    shared('flakeline.noticesSeen').clear()
    shared('flakeline.problemsSaid').clear()
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

function shared(name: string): Set<string> {
  const key = Symbol.for(name)
  const holder = globalThis as Record<symbol, Set<string> | undefined>
  return (holder[key] ??= new Set())
}

/** The innermost FlakelineError of an error's causes: the problem itself, whoever reports it. */
function rootCause(error: FlakelineError): FlakelineError {
  let current = error
  for (let depth = 0; depth < 8; depth++) {
    const cause = current.cause
    if (!(cause instanceof FlakelineError)) break
    current = cause
  }
  return current
}

import { relative, isAbsolute, join } from 'node:path'
import { isatty } from 'node:tty'
import type { ServeOption } from '../config/options.js'
import { inCi } from '../core/job-identity.js'
import type { HubServer } from '../hub/hub-server.js'

/**
 * What becomes of a `serve` hub when its run ends:
 * - `wait`: it stays up, and the end of the run waits for Ctrl+C, SIGINT or SIGTERM (`untilStopped`);
 *   then the runner finishes as it would have and exits with its own code;
 * - `keep`: it stays up for the next run of this process, without waiting (a runner's watch mode,
 *   which keeps the process alive and reads Ctrl+C itself);
 * - `close`: it closes with the run, and says so.
 */
export type AfterRunAction = 'wait' | 'keep' | 'close'

/** What the decision depends on, read from the process by `afterRunFacts`. */
export interface AfterRunFacts {
  /** `serve.keepAlive` when set: `true` always keeps the hub up, `false` always closes it. */
  keepAlive: boolean | undefined
  /** Whether stdin and stdout are terminals: a person is there to open the page and to press Ctrl+C. */
  isTTY: boolean
  /** Whether this is CI (see `inCi`). */
  ci: boolean
  /** Whether a runner's watch mode runs (it holds the terminal's stdin in raw mode, or `--watch`/`--watchAll`). */
  watching: boolean
}

/** The action, and why, in words for the line that tells the user. */
export interface AfterRunDecision {
  action: AfterRunAction
  reason: string
}

/**
 * Whether the dashboard of a `serve` hub stays up after the run. Pure: the facts come from
 * `afterRunFacts`, so every rule is tested on its own.
 */
export function keepDashboardUp(facts: AfterRunFacts): AfterRunDecision {
  if (facts.keepAlive === false) return { action: 'close', reason: 'serve.keepAlive is false' }
  // Waiting would hold the watcher's next run. Its process stays up anyway, so the hub serves the next run too.
  if (facts.watching) return { action: 'keep', reason: 'the runner is watching' }
  if (facts.keepAlive === true) return { action: 'wait', reason: 'serve.keepAlive is true' }
  // In CI or behind a pipe nobody looks at the page or presses Ctrl+C: a run that waited would hang the job.
  if (facts.ci) return { action: 'close', reason: 'in CI' }
  if (!facts.isTTY) return { action: 'close', reason: 'not an interactive terminal' }
  return { action: 'wait', reason: 'an interactive terminal' }
}

/** What `afterRunFacts` reads of the process. */
export interface ProcessView {
  stdinIsTTY: boolean
  /** A terminal's stdin in raw mode: a runner's watch mode reads its keys. */
  stdinIsRaw: boolean
  stdoutIsTTY: boolean
  argv: readonly string[]
}

/** This process's view; stdin is looked at only when it is a terminal. */
export function processView(): ProcessView {
  const stdinIsTTY = isatty(0)
  return {
    stdinIsTTY,
    stdinIsRaw: stdinIsTTY && (process.stdin as NodeJS.ReadStream & { isRaw?: boolean }).isRaw === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    argv: process.argv,
  }
}

/** The facts the decision needs, from the `serve` option, the environment and the process. */
export function afterRunFacts(serve: ServeOption | undefined, env: NodeJS.ProcessEnv = process.env, view: ProcessView = processView()): AfterRunFacts {
  return {
    keepAlive: typeof serve === 'object' ? serve.keepAlive : undefined,
    // Both: a person reads the page's address on stdout and stops the wait with a key on stdin.
    isTTY: view.stdinIsTTY && view.stdoutIsTTY,
    ci: inCi(env),
    watching: view.stdinIsRaw || view.argv.some((arg) => /^--watch(All)?(=true)?$/.test(arg)),
  }
}

/** The line printed when the hub stays up and the run waits. */
export function stayUpLine(link: string, runner: string): string {
  // Jest's summary and coverage reporters come after every custom reporter, so they print after the wait.
  const after = runner === 'jest' ? '; Jest prints its summary then' : ''
  return `the dashboard stays up at ${link} (Ctrl+C to stop${after})`
}

/** The line printed when the hub closes with the run: why, and how to see the run again. */
export function closedLine(reason: string, options: { root: string; dir: string }): string {
  const command = `npx flakeline serve${dirFlag(options)}`
  return `the live dashboard closed with the run (${reason}); to see this run again: ${command}`
}

function dirFlag({ root, dir }: { root: string; dir: string }): string {
  if (dir === join(root, '.flakeline')) return ''
  const inside = relative(root, dir)
  const shown = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : dir
  return ` --dir ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const
const CTRL_C = 0x03

/** The part of a terminal's stdin the wait uses (`process.stdin` when it is a terminal). */
export interface KeyboardInput {
  setRawMode(raw: boolean): unknown
  readonly readableFlowing: boolean | null
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown
  resume(): unknown
  pause(): unknown
}

/**
 * Resolves when the user stops the dashboard: Ctrl+C on the terminal, or SIGINT or SIGTERM. The
 * signal stops the dashboard, not the runner, which then finishes as it would have:
 * - the terminal's stdin is read in raw mode meanwhile, so Ctrl+C reaches this process as a key and
 *   is not sent as SIGINT to the whole process group: Vitest 3's idle fork workers would die of it,
 *   and tinypool would throw on their exit;
 * - the runner's own SIGINT/SIGTERM listeners are set aside and put back before it resolves
 *   (Vitest's would exit at once, with 130 after a passing run and before writing coverage).
 */
export function untilStopped(proc: NodeJS.Process = process, terminal: KeyboardInput | null = isatty(0) ? process.stdin : null): Promise<string> {
  return new Promise((resolve) => {
    let keyboard = terminal
    try {
      keyboard?.setRawMode(true)
    } catch {
      // A terminal that refuses raw mode: SIGINT and SIGTERM still stop the wait.
      keyboard = null
    }
    const held = new Map(STOP_SIGNALS.map((signal) => [signal, proc.rawListeners(signal) as Array<(...args: unknown[]) => void>]))
    for (const signal of STOP_SIGNALS) proc.removeAllListeners(signal)
    const flowing = keyboard?.readableFlowing === true
    const onKey = (chunk: Buffer | string): void => {
      if ((typeof chunk === 'string' ? Buffer.from(chunk) : chunk).includes(CTRL_C)) stop('Ctrl+C')
    }
    const stop = (why: string): void => {
      for (const name of STOP_SIGNALS) {
        proc.off(name, stop)
        // Raw listeners keep their `once` wrappers: re-added, they still remove themselves when called.
        for (const listener of held.get(name) ?? []) proc.on(name, listener)
      }
      if (keyboard) {
        keyboard.off('data', onKey)
        try {
          keyboard.setRawMode(false)
        } catch {}
        // A paused stdin no longer holds the process open.
        if (!flowing) keyboard.pause()
      }
      resolve(why)
    }
    for (const signal of STOP_SIGNALS) proc.on(signal, stop)
    if (keyboard) {
      keyboard.on('data', onKey)
      keyboard.resume()
    }
  })
}

/** A hub kept for the next run of this process (`keep`), with the settings it was started with. */
let kept: { server: HubServer; settings: string } | null = null

/** Keeps `server` for the next run of this process that asks for a hub with the same `settings`. */
export function keepHub(server: HubServer, settings: string): void {
  kept = { server, settings }
}

/**
 * The hub kept by an earlier run of this process when it was started with the same `settings`,
 * else null; a kept hub with other settings is closed first (the new one may want its port).
 */
export async function takeKeptHub(settings: string): Promise<HubServer | null> {
  const found = kept
  kept = null
  if (!found) return null
  if (found.settings === settings) return found.server
  await found.server.close()
  return null
}

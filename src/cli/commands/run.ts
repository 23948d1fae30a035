import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import { constants, tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { exitDecision, OUTCOME_ENV, readOutcomes } from '../../ci/run-outcome.js'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import type { CliIO } from '../cli-io.js'
import type { Command } from '../command.js'

const usage = 'flakeline run -- <command> [args...]'

/** Exit code when the command cannot be started, as shells use for "command not found". */
export const COMMAND_NOT_STARTED = 127

/** `node_modules/.bin` of the working directory and every directory above it, nearest first (as `npm run` adds them). */
function binDirs(cwd: string): string[] {
  const dirs: string[] = []
  for (let dir = cwd; ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin')
    if (existsSync(bin)) dirs.push(bin)
    if (dirname(dir) === dir) return dirs
  }
}

/** The exit code of a child killed by `signal`, as shells report it: 128 + the signal's number. */
function signalCode(signal: NodeJS.Signals): number {
  return 128 + ((constants.signals as Record<string, number>)[signal] ?? 1)
}

/** Runs the command with the outcome file named in its environment; resolves to its exit code. */
function runChild(command: string, args: readonly string[], io: CliIO, outcomeFile: string): Promise<number> {
  const path = [...binDirs(io.cwd), io.env.PATH ?? io.env.Path ?? ''].filter(Boolean).join(delimiter)
  const env = { ...io.env, PATH: path, [OUTCOME_ENV]: outcomeFile }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: io.cwd, env, stdio: 'inherit', shell: process.platform === 'win32' })
    // CI cancels a job with SIGTERM to the wrapper: the runner must hear it too, and the wrapper waits for its end.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
    for (const signal of signals) process.on(signal, forward)
    const done = () => {
      for (const signal of signals) process.off(signal, forward)
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      done()
      reject(new FlakelineError(ErrorCodes.RUN_COMMAND, `cannot run ${JSON.stringify(command)}: ${error.code === 'ENOENT' ? 'command not found (is it installed? npx adds node_modules/.bin to PATH)' : error.message}`, { cause: error }))
    })
    child.on('exit', (code, signal) => {
      done()
      resolve(signal ? signalCode(signal) : (code ?? 1))
    })
  })
}

/**
 * `flakeline run -- <runner command>`: runs the test runner and exits with its exit code, except
 * that a run whose only failures are quarantined known-flaky tests exits 0. Neither runner lets a
 * reporter change its exit code cleanly (Vitest sets `process.exitCode = 1` before `onTestRunEnd`
 * and checks coverage after it; Jest computes `success` after every reporter and exits with
 * `testFailureExitCode`), so the reporter writes each run's outcome to a file this command names in
 * `FLAKELINE_RUN_OUTCOME`, and this command decides (see `exitDecision`).
 */
export const runCommand: Command = {
  name: 'run',
  summary: "run the test runner (flakeline run -- vitest run, flakeline run -- jest --ci) and exit with its exit code, or 0 when its only failures were quarantined known-flaky tests",
  usage,
  async run(args, io) {
    const command = args[0] === '--' ? args.slice(1) : args
    if (command.length === 0) throw new FlakelineError(ErrorCodes.USAGE, `no command to run\nusage: ${usage}`)
    const outcomeFile = join(tmpdir(), `flakeline-outcome-${process.pid}-${randomBytes(6).toString('hex')}.ndjson`)
    try {
      let code: number
      try {
        code = await runChild(command[0]!, command.slice(1), io, outcomeFile)
      } catch (error) {
        const problem = error as FlakelineError
        io.stderr(`flakeline: ${problem.code}: ${problem.message}\n`)
        return COMMAND_NOT_STARTED
      }
      const decision = exitDecision(code, readOutcomes(outcomeFile))
      for (const line of decision.lines) io.stderr(`flakeline: ${line}\n`)
      return decision.code
    } finally {
      rmSync(outcomeFile, { force: true })
    }
  },
}

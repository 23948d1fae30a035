import { FLAKELINE_VERSION } from '../version.js'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { ExitCodes, processIO, type CliIO } from './cli-io.js'
import { reportError, type Command } from './command.js'
import { compactCommand } from './commands/compact.js'
import { demoCommand } from './commands/demo.js'
import { doctorCommand } from './commands/doctor.js'
import { historyCommand } from './commands/history.js'
import { statsCommand } from './commands/stats.js'
import { planCommand } from './commands/plan.js'
import { importCommand } from './commands/import.js'
import { replayCommand } from './commands/replay.js'
import { serveCommand } from './commands/serve.js'
import { exportCommand } from './commands/export.js'
import { mergeCommand } from './commands/merge.js'
import { flakyCommand } from './commands/flaky.js'
import { explainCommand } from './commands/explain.js'
import { modelCommand } from './commands/model.js'
import { reportCommand } from './commands/report.js'
import { runCommand } from './commands/run.js'

export const COMMANDS: readonly Command[] = [statsCommand, historyCommand, flakyCommand, explainCommand, modelCommand, reportCommand, runCommand, planCommand, importCommand, exportCommand, mergeCommand, replayCommand, serveCommand, doctorCommand, compactCommand, demoCommand]

function help(): string {
  // Each command's usage (some span lines), then what it does, indented under it.
  const entry = (command: Command): string[] => [...command.usage.split('\n').map((line) => `  ${line.trim()}`), `      ${command.summary}`]
  return [
    `flakeline ${FLAKELINE_VERSION} — test history, ordering and flaky evidence for Jest and Vitest`,
    '',
    'usage:',
    ...COMMANDS.flatMap(entry),
    '',
    'The store is ./.flakeline in the nearest package root, unless --dir or FLAKELINE_DIR says otherwise.',
    'Exit codes: 0 ok, 1 problem found, 2 usage, 3 store unusable, 4 nothing matched.',
    '',
  ].join('\n')
}

/** Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(help())
    return name ? ExitCodes.OK : ExitCodes.USAGE
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${FLAKELINE_VERSION}\n`)
    return ExitCodes.OK
  }
  const command = COMMANDS.find((candidate) => candidate.name === name)
  try {
    if (!command) throw new FlakelineError(ErrorCodes.USAGE, `unknown command "${name}"; run flakeline --help`)
    // Flags after `--` belong to the command `flakeline run` starts, not to flakeline.
    const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
    if (own.includes('--help') || own.includes('-h')) {
      io.stdout(`usage: ${command.usage}\n${command.summary}\n`)
      return ExitCodes.OK
    }
    return await command.run(rest, io)
  } catch (error) {
    return reportError(io, error)
  }
}

/** The `flakeline` bin: the only place that exits the process. */
export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2))
}

import { ErrorCodes, FlakelineError } from '../../errors.js'
import { runDemo } from '../../demo/run-demo.js'
import type { Command } from '../command.js'
import { parseCommandArgs } from '../command.js'

const usage = 'flakeline demo [--runs N] [--keep]'

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a bundled suite several times and show what flakeline learns',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { runs: { type: 'string', default: '5' }, keep: { type: 'boolean', default: false } }, usage)
    const runs = Number(values.runs)
    if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
      throw new FlakelineError(ErrorCodes.USAGE, `--runs must be an integer from 1 to 50, got ${JSON.stringify(values.runs)}`)
    }
    return runDemo({ runs, keep: values.keep }, io)
  },
}

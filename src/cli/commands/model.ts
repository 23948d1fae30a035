import { describeModel, initialModel } from '../../verdicts/meta-learner.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs, withStore } from '../command.js'
import { table } from '../format.js'

const usage = 'flakeline model [--json] [--dir DIR]'

export const modelCommand: Command = {
  name: 'model',
  summary: "the meta-learner: each signal's weight, the Brier score of its confidence, and a calibration table",
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, STORE_OPTIONS, usage)
    return withStore(io, values.dir, (store) => {
      const stored = store.analysis.model()
      const described = describeModel(stored ?? initialModel())
      if (values.json) {
        io.stdout(`${JSON.stringify(described, null, 2)}\n`)
        return ExitCodes.OK
      }
      const lines = [
        stored ? `meta-learner after ${described.runs} analyses: Brier score ${described.brier.toFixed(3)} (0 is perfect; always saying 50% scores 0.25)` : 'no analysis yet: these are the priors a new project starts from',
        '',
        table([['signal', 'weight'], ...described.signals.map((signal) => [signal.signal, signal.weight.toFixed(3)])], new Set([1])),
      ]
      const bins = described.calibration.filter((bin) => bin.count > 0)
      if (bins.length) {
        lines.push('', 'calibration (predicted vs observed flaky, by decile of the prediction):')
        lines.push(table([['decile', 'predicted', 'observed', 'examples'], ...bins.map((bin) => [String(bin.decile), `${Math.round(bin.predicted * 100)}%`, `${Math.round(bin.observed * 100)}%`, String(Math.round(bin.count))])], new Set([1, 2, 3])))
      }
      io.stdout(`${lines.join('\n')}\n`)
      return ExitCodes.OK
    })
  },
}

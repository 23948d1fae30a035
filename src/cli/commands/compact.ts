import { HistoryStore } from '../../store/history-store.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'
import { openSoundStore } from '../../store/store-soundness.js'

const usage = 'flakeline compact [--json] [--dir DIR]'

export const compactCommand: Command = {
  name: 'compact',
  summary: 'drop what fell out of the history limit (runs, file records, vanished tests)',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, STORE_OPTIONS, usage)
    const { options, warnings } = await cliOptions(io, values.dir)
    for (const warning of warnings) io.stderr(`${warning}\n`)
    const store = await openSoundStore(options.dir, { historyLimit: options.historyLimit, readOnly: !HistoryStore.exists(options.dir) })
    try {
      const report = await store.compact()
      if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`)
      else {
        io.stdout(
          `compacted ${options.dir} to the last ${options.historyLimit} runs: removed ${report.runsRemoved} runs, ` +
            `${report.fileRecordsRemoved} file records, ${report.testsRemoved} tests no longer seen\n`,
        )
      }
      return ExitCodes.OK
    } finally {
      await store.close()
    }
  },
}

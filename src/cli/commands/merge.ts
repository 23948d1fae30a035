import { resolve } from 'node:path'
import { readBundle } from '../../bundle/bundle-format.js'
import type { Bundle } from '../../bundle/bundle-validate.js'
import { mergeBundles, type Disagreement } from '../../bundle/merge-into-store.js'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import { HistoryStore } from '../../store/history-store.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'
import { safeText } from '../format.js'
import { plural } from '../../core/plural.js'
import { openSoundStore } from '../../store/store-soundness.js'

const usage = 'flakeline merge FILE... [--json] [--dir DIR]'

/** Run ids and paths in text output: escaped and bounded (`--json` has them whole). */
function name(text: string): string {
  return safeText(text, 100)
}

function list(items: readonly string[], shown = 10): string {
  return `${items.slice(0, shown).map(name).join(', ')}${items.length > shown ? `, and ${items.length - shown} more` : ''}`
}

function describeDisagreement(entry: Disagreement): string {
  const lines = [`run ${name(entry.run)}${entry.job && entry.job !== entry.run ? ` (job ${name(entry.job)})` : ''}:`]
  if (entry.fingerprints.length > 1) lines.push(`  its shards split from ${entry.fingerprints.length} different plans (${entry.fingerprints.map((print) => name(print.slice(0, 12))).join(', ')})`)
  for (const twice of entry.recordedTwice) lines.push(`  recorded more than once: ${name(twice.file)} (${list(twice.by)})`)
  if (entry.possiblySkipped.length) lines.push(`  possibly skipped (in the previous run, run by no shard): ${list(entry.possiblySkipped)}`)
  return lines.join('\n')
}

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'fold bundles from flakeline export into the store; the shards of one job become one run',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, STORE_OPTIONS, usage)
    if (positionals.length === 0) throw new FlakelineError(ErrorCodes.USAGE, `name the bundles to merge\nusage: ${usage}`)
    const { options, warnings } = await cliOptions(io, values.dir)
    for (const warning of warnings) io.stderr(`${warning}\n`)
    // Every bundle is read and checked before the store is touched: a bad file merges nothing.
    const bundles: Bundle[] = []
    for (const path of positionals) bundles.push(await readBundle(resolve(io.cwd, path), path))
    const store = await openSoundStore(options.dir, { historyLimit: options.historyLimit })
    try {
      const report = await mergeBundles(store, bundles)
      if (values.json) {
        const files = positionals.map((file, index) => ({ file, runs: bundles[index]!.runs.length, createdAt: new Date(bundles[index]!.createdAt).toISOString(), flakelineVersion: bundles[index]!.flakelineVersion }))
        io.stdout(`${JSON.stringify({ dir: options.dir, bundles: files, ...report }, null, 2)}\n`)
      } else {
        const joined = report.runs.filter((run) => run.joined).length
        const parts = report.runs.reduce((sum, run) => sum + run.parts, 0)
        const results = report.runs.reduce((sum, run) => sum + run.files, 0)
        io.stdout(
          `merged ${plural(bundles.length, 'bundle')} into ${options.dir}: ${plural(report.runs.length - joined, 'new run')}` +
            `${joined ? `, ${plural(joined, 'run')} joined by more shards` : ''} (${plural(parts, 'part')}, ${plural(results, 'file result')})\n`,
        )
        if (report.skipped.length) io.stdout(`skipped ${plural(report.skipped.length, 'run')} already in the store: ${list(report.skipped, 5)}\n`)
        for (const entry of report.disagreements) io.stdout(`${describeDisagreement(entry)}\n`)
      }
      return report.disagreements.length ? ExitCodes.FAILURE : ExitCodes.OK
    } finally {
      await store.close()
    }
  },
}

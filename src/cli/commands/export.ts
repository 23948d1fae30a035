import { resolve } from 'node:path'
import { decodeBundle, encodeBundle } from '../../bundle/bundle-format.js'
import { bundleError } from '../../bundle/bundle-limits.js'
import { exportRuns } from '../../bundle/export-runs.js'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import { HistoryStore } from '../../store/history-store.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'
import { plural } from '../../core/plural.js'
import { openSoundStore } from '../../store/store-soundness.js'
import { writeAside } from '../../core/write-aside.js'

const usage = 'flakeline export --out FILE [--since RUN_ID] [--all] [--json] [--dir DIR]'

/** Writes the bundle (beside the target, then renamed: a merge job never downloads half a bundle). */
async function writeBundle(path: string, bytes: Uint8Array, source: string): Promise<void> {
  try {
    await writeAside(path, bytes)
  } catch (error) {
    throw bundleError(source, `cannot write it: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the runs recorded since the last export (or --since a run) to a bundle for flakeline merge',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...STORE_OPTIONS, out: { type: 'string' }, since: { type: 'string' }, all: { type: 'boolean', default: false } }, usage)
    if (!values.out) throw new FlakelineError(ErrorCodes.USAGE, `--out FILE is required\nusage: ${usage}`)
    if (positionals.length) throw new FlakelineError(ErrorCodes.USAGE, `export takes no file names (got ${positionals.join(' ')}); the bundle goes to --out\nusage: ${usage}`)
    if (values.since !== undefined && values.all) throw new FlakelineError(ErrorCodes.USAGE, `--since and --all cannot be used together\nusage: ${usage}`)
    const { options, warnings } = await cliOptions(io, values.dir)
    for (const warning of warnings) io.stderr(`${warning}\n`)
    const out = resolve(io.cwd, values.out)
    // Opened writable for the export marker, but never created: a missing store is an error.
    const store = await openSoundStore(options.dir, { historyLimit: options.historyLimit, readOnly: !HistoryStore.exists(options.dir) })
    try {
      let after = 0
      let since = values.all ? 'all runs' : 'the last export'
      if (values.since !== undefined) {
        const run = store.listRuns().filter((candidate) => candidate.id === values.since).at(-1)
        if (!run) throw new FlakelineError(ErrorCodes.NOT_FOUND, `no run ${JSON.stringify(values.since)} in ${options.dir} (flakeline stats lists the runs)`)
        after = run.seq
        since = `run ${run.id}`
      } else if (!values.all) after = store.exportedThrough()
      const { bundle, throughSeq, running } = exportRuns(store, after)
      const bytes = encodeBundle(bundle)
      // What export writes, merge must accept: the same checks, before the file exists.
      decodeBundle(bytes, `cannot export to ${values.out}`)
      await writeBundle(out, bytes, values.out)
      if (throughSeq !== null) await store.markExported(throughSeq)
      const files = bundle.runs.reduce((sum, run) => sum + run.files.length, 0)
      const tests = bundle.runs.reduce((sum, run) => sum + run.files.reduce((count, file) => count + file.tests.length, 0), 0)
      if (values.json) {
        const summary = { dir: options.dir, out, since: values.since ?? null, all: values.all, runs: bundle.runs.map((run) => run.run.id), files, tests, bytes: bytes.byteLength, exportedThrough: store.exportedThrough(), running }
        io.stdout(`${JSON.stringify(summary, null, 2)}\n`)
      } else {
        io.stdout(`exported ${plural(bundle.runs.length, 'run')} (${plural(files, 'file result')}, ${plural(tests, 'test result')}) since ${since} to ${values.out}\n`)
        if (running.length) io.stdout(`not exported: ${plural(running.length, 'run')} still recording or never finished: ${running.slice(0, 5).join(', ')}${running.length > 5 ? ', …' : ''}\n`)
      }
      return ExitCodes.OK
    } finally {
      await store.close()
    }
  },
}

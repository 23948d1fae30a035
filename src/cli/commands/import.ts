import { resolve } from 'node:path'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import { findPackageRoot } from '../../config/load-options.js'
import { toImportedRun, type HistoryRun } from '../../history-import/history-run.js'
import { readJunitRun } from '../../history-import/junit-history.js'
import { readNdjsonHistory } from '../../history-import/ndjson-history.js'
import { HistoryStore, type ImportedRun } from '../../store/history-store.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'
import { safeText } from '../format.js'
import { openSoundStore } from '../../store/store-soundness.js'

const usage = 'flakeline import --format ndjson FILE | --format junit FILE... [--run ID] [--commit SHA] [--json] [--dir DIR]'

/** Runs handed to the store at once: whole runs, bounded memory. */
const BATCH_RUNS = 500

interface ImportCounts {
  runs: number
  files: number
  tests: number
  skipped: string[]
}

async function importAll(store: HistoryStore, runs: AsyncIterable<HistoryRun> | Iterable<HistoryRun>): Promise<ImportCounts> {
  const present = new Set(store.listRuns().map((run) => run.id))
  const counts: ImportCounts = { runs: 0, files: 0, tests: 0, skipped: [] }
  let batch: ImportedRun[] = []
  const now = Date.now()
  for await (const run of runs) {
    if (present.has(run.id)) {
      counts.skipped.push(run.id)
      continue
    }
    present.add(run.id)
    const imported = toImportedRun(run, now)
    counts.runs++
    counts.files += imported.files.length
    counts.tests += imported.run.tests
    batch.push(imported)
    if (batch.length >= BATCH_RUNS) {
      await store.importRuns(batch)
      batch = []
    }
  }
  if (batch.length) await store.importRuns(batch)
  return counts
}

export const importCommand: Command = {
  name: 'import',
  summary: 'add past runs to the store from NDJSON history or JUnit XML reports',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...STORE_OPTIONS, format: { type: 'string' }, run: { type: 'string' }, commit: { type: 'string' } },
      usage,
    )
    const format = values.format
    if (format !== 'ndjson' && format !== 'junit') throw new FlakelineError(ErrorCodes.USAGE, `--format must be ndjson or junit, got ${JSON.stringify(format ?? '')}\nusage: ${usage}`)
    if (positionals.length === 0) throw new FlakelineError(ErrorCodes.USAGE, `name the file${format === 'junit' ? 's' : ''} to import\nusage: ${usage}`)
    if (format === 'ndjson' && positionals.length > 1) throw new FlakelineError(ErrorCodes.USAGE, `--format ndjson takes one file, got ${positionals.length}\nusage: ${usage}`)
    if (format === 'ndjson' && (values.run || values.commit)) throw new FlakelineError(ErrorCodes.USAGE, `--run and --commit are for --format junit; NDJSON lines carry their own\nusage: ${usage}`)
    if (values.run !== undefined && !/^[A-Za-z0-9._:~-]{1,128}$/.test(values.run)) throw new FlakelineError(ErrorCodes.USAGE, `--run must be 1 to 128 letters, digits, ".", "_", ":", "~" or "-", got ${JSON.stringify(values.run)}`)
    const { options, warnings } = await cliOptions(io, values.dir)
    for (const warning of warnings) io.stderr(`${warning}\n`)

    // Read and check everything before the store is touched: a bad line 40,000 must not leave half an import.
    let runs: AsyncIterable<HistoryRun> | Iterable<HistoryRun>
    const files = positionals.map((path) => resolve(io.cwd, path))
    // Paths are kept inside the package root: `plan` reads pragmas from the files the store names.
    const root = findPackageRoot(io.cwd)
    if (format === 'ndjson') {
      for await (const _ of readNdjsonHistory(files[0]!, positionals[0], { root }));
      runs = readNdjsonHistory(files[0]!, positionals[0], { root })
    } else {
      runs = [readJunitRun(files, { root, runId: values.run, commit: values.commit ?? null }, positionals)]
    }
    const store = await openSoundStore(options.dir, { historyLimit: options.historyLimit })
    try {
      const counts = await importAll(store, runs)
      if (values.json) io.stdout(`${JSON.stringify({ dir: options.dir, ...counts }, null, 2)}\n`)
      else {
        io.stdout(`imported ${counts.runs} run${counts.runs === 1 ? '' : 's'} (${counts.files} file results, ${counts.tests} test results) into ${options.dir}\n`)
        if (counts.skipped.length) io.stdout(`skipped ${counts.skipped.length} run${counts.skipped.length === 1 ? '' : 's'} already in the store: ${counts.skipped.slice(0, 5).map((id) => safeText(id, 100)).join(', ')}${counts.skipped.length > 5 ? ', …' : ''}\n`)
      }
      return ExitCodes.OK
    } finally {
      await store.close()
    }
  },
}

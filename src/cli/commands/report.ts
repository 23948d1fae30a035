import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { renderMarkdown } from '../../ci/job-summary.js'
import { renderJunit, type JunitTestNote } from '../../ci/junit-out.js'
import { sourceLinkBase } from '../../ci/markdown.js'
import { loadLastReport } from '../../ci/report-file.js'
import { buildRunReport, type RunReport } from '../../ci/run-report.js'
import { STABILITY_RUNS, stabilityRuns, suiteStability } from '../../ci/suite-stability.js'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import type { RunRecord } from '../../records.js'
import { HistoryStore } from '../../store/history-store.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'
import { openSoundStore } from '../../store/store-soundness.js'
import { writeAside } from '../../core/write-aside.js'

const usage = 'flakeline report [--format markdown|json|junit] [--out FILE] [--run ID] [--marker NAME] [--dir DIR]'
const FORMATS = ['markdown', 'json', 'junit'] as const
type Format = (typeof FORMATS)[number]

/** The run a report is about: `--run ID`, else the newest run that finished. */
function chooseRun(store: HistoryStore, id: string | undefined): RunRecord {
  if (id !== undefined) {
    const run = store.listRuns().filter((candidate) => candidate.id === id).at(-1)
    if (!run) throw new FlakelineError(ErrorCodes.NOT_FOUND, `no run ${JSON.stringify(id)} in ${store.dir}; \`flakeline stats\` lists the runs`)
    return run
  }
  for (const run of store.recentRuns(50)) if (run.status !== 'running') return run
  throw new FlakelineError(ErrorCodes.NOT_FOUND, `no finished run in ${store.dir} yet (a run with the flakeline reporter records one)`)
}

function notesOf(report: RunReport): Map<string, JunitTestNote> {
  const notes = new Map<string, JunitTestNote>()
  for (const test of report.flakyFailures) if (test.quarantine?.quarantined) notes.set(`${test.file}\0${test.test}`, { quarantined: test.quarantine.reason })
  return notes
}

/** Writes the report (beside the target, then renamed: a CI step that uploads it never takes half of it). */
async function writeOut(path: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeAside(path, text)
  } catch (error) {
    throw new FlakelineError(ErrorCodes.CI_OUTPUT, `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

export const reportCommand: Command = {
  name: 'report',
  summary: "what a run found, for a pull-request comment (markdown, with a hidden marker to update one comment), a tool (json) or another CI system (junit, flaky tests as Surefire's flakyFailure)",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { dir: { type: 'string' }, format: { type: 'string', default: 'markdown' }, out: { type: 'string' }, run: { type: 'string' }, marker: { type: 'string', default: 'flakeline-report' } },
      usage,
    )
    const format = values.format as Format
    if (!FORMATS.includes(format)) throw new FlakelineError(ErrorCodes.USAGE, `--format must be markdown, json or junit, got ${JSON.stringify(values.format)}\nusage: ${usage}`)
    if (positionals.length) throw new FlakelineError(ErrorCodes.USAGE, `report takes no arguments (got ${positionals.join(' ')})\nusage: ${usage}`)
    const { options, warnings } = await cliOptions(io, values.dir)
    for (const warning of warnings) io.stderr(`${warning}\n`)
    const store = await openSoundStore(options.dir, { historyLimit: options.historyLimit, readOnly: true })
    let text: string
    let run: RunRecord
    try {
      run = chooseRun(store, values.run)
      // The report the reporter made when the run ended says what its analysis changed and what the
      // runner knew; made now from the store, it has the stored verdicts only.
      let report = loadLastReport(options.dir, run.id)
      if (report && !report.stability && format !== 'junit') {
        report = { ...report, stability: await suiteStability({ runs: stabilityRuns(store.recentRuns(STABILITY_RUNS)), files: () => store.listFiles(), testsOf: (fileId) => store.testsOf(fileId) }) }
      }
      report ??= await buildRunReport(store, run, { options, changes: null, env: io.env, stability: format !== 'junit' })
      text =
        format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : format === 'junit'
            ? renderJunit(run, store.recordsOfRun(run.seq), { notes: notesOf(report) })
            : renderMarkdown(report, { marker: values.marker, linkBase: sourceLinkBase(io.env) })
    } finally {
      await store.close()
    }
    if (!values.out) {
      io.stdout(text)
      return ExitCodes.OK
    }
    const out = resolve(io.cwd, values.out)
    await writeOut(out, text)
    io.stderr(`flakeline: ${format} report of run ${run.id} written to ${out}\n`)
    return ExitCodes.OK
  },
}

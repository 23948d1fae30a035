import { isAbsolute, relative } from 'node:path'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import type { FileHistory, HistoryEntry, TestHistory } from '../../records.js'
import type { HistoryStore } from '../../store/history-store.js'
import { findPackageRoot } from '../../config/load-options.js'
import { ExitCodes, type CliIO } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs, withStore } from '../command.js'
import { formatDuration, outcomeStrip, safeText, table } from '../format.js'
import { passedOnRetry } from '../../evidence/outcomes.js'

const usage = 'flakeline history <file-or-test> [--json] [--dir DIR]'
/** Rows shown per history in text output; --json has them all. */
const SHOWN_RUNS = 20
/** Characters of a name or run id in text output (middle-elided, control characters escaped); --json has them whole. */
const NAME_CHARS = 100
const RUN_CHARS = 40

/** A query as a path relative to the package root, the form file ids use. */
function normalisePath(query: string, io: CliIO): string {
  const root = findPackageRoot(io.cwd)
  const absolute = isAbsolute(query) ? query : null
  const path = absolute ? relative(root, absolute) : query.replace(/^\.\//, '')
  return path.split('\\').join('/')
}

function matchFiles(files: FileHistory[], query: string): FileHistory[] {
  const exact = files.filter((file) => file.fileId === query || file.path === query)
  if (exact.length) return exact
  return files.filter((file) => file.path.endsWith(`/${query}`) || file.fileId.endsWith(`/${query}`))
}

function entryJson(entry: HistoryEntry, runIds: Map<number, string>) {
  return {
    run: runIds.get(entry.seq) ?? null,
    seq: entry.seq,
    startedAt: new Date(entry.startedAt).toISOString(),
    status: entry.status,
    durationMs: Math.round(entry.durationMs * 10) / 10,
    attempts: entry.attempts,
  }
}

function passRate(entries: HistoryEntry[]): string {
  const ran = entries.filter((e) => e.status === 'passed' || e.status === 'failed')
  const passed = ran.filter((e) => e.status === 'passed').length
  const retried = ran.filter(passedOnRetry).length
  return `${passed}/${ran.length} passed${retried ? `, ${retried} on retry` : ''}`
}

function runLabel(runIds: Map<number, string>, seq: number): string {
  const id = runIds.get(seq)
  return id === undefined ? `#${seq}` : safeText(id, RUN_CHARS)
}

function describeFile(file: FileHistory, tests: TestHistory[], runIds: Map<number, string>): string {
  const lines = [`${safeText(file.fileId, 200)}  (${file.entries.length} runs, ${tests.length} tests)`, `  outcomes  ${outcomeStrip(file.entries)}  (newest last)`, '']
  const rows = [['run', 'status', 'duration']]
  for (const entry of file.entries.slice(-SHOWN_RUNS)) rows.push([runLabel(runIds, entry.seq), entry.status, formatDuration(entry.durationMs)])
  lines.push(...table(rows).split('\n').map((line) => `  ${line}`), '', '  tests')
  const testRows = tests.map((test) => [outcomeStrip(test.entries.slice(-SHOWN_RUNS)), safeText(test.name, NAME_CHARS), passRate(test.entries)])
  lines.push(...table(testRows).split('\n').map((line) => `    ${line}`))
  return lines.join('\n')
}

function describeTest(test: TestHistory, runIds: Map<number, string>): string {
  const lines = [`${safeText(test.fileId, NAME_CHARS)} > ${safeText(test.name, NAME_CHARS)}`, `  outcomes  ${outcomeStrip(test.entries)}  (newest last; ↻ passed on retry)  ${passRate(test.entries)}`]
  const rows = [['run', 'status', 'attempts', 'duration']]
  for (const entry of test.entries.slice(-SHOWN_RUNS)) {
    rows.push([runLabel(runIds, entry.seq), entry.status, String(entry.attempts), formatDuration(entry.durationMs)])
  }
  lines.push(...table(rows).split('\n').map((line) => `  ${line}`))
  return lines.join('\n')
}

function lookup(store: HistoryStore, query: string, io: CliIO) {
  const files = matchFiles(store.listFiles(), normalisePath(query, io))
  const tests = files.length ? [] : store.findTests(query)
  return { files, tests }
}

export const historyCommand: Command = {
  name: 'history',
  summary: "a file's or test's recent outcomes and durations",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, STORE_OPTIONS, usage)
    const query = positionals.join(' ').trim()
    if (!query) throw new FlakelineError(ErrorCodes.USAGE, `name a test file or test\nusage: ${usage}`)
    return withStore(io, values.dir, (store) => {
      const { files, tests } = lookup(store, query, io)
      if (files.length === 0 && tests.length === 0) {
        throw new FlakelineError(ErrorCodes.NOT_FOUND, `no file or test in the history matches "${safeText(query, NAME_CHARS)}"`)
      }
      const runIds = new Map(store.listRuns().map((run) => [run.seq, run.id]))
      const fileTests = new Map(files.map((file) => [file.fileId, store.testsOf(file.fileId)]))
      if (values.json) {
        const json = {
          files: files.map((file) => ({
            fileId: file.fileId,
            project: file.project,
            path: file.path,
            runs: file.entries.map((entry) => entryJson(entry, runIds)),
            tests: fileTests.get(file.fileId)!.map((test) => ({ name: test.name, runs: test.entries.map((entry) => entryJson(entry, runIds)) })),
          })),
          tests: tests.map((test) => ({ fileId: test.fileId, name: test.name, runs: test.entries.map((entry) => entryJson(entry, runIds)) })),
        }
        io.stdout(`${JSON.stringify(json, null, 2)}\n`)
        return ExitCodes.OK
      }
      const blocks = [
        ...files.map((file) => describeFile(file, fileTests.get(file.fileId)!, runIds)),
        ...tests.map((test) => describeTest(test, runIds)),
      ]
      io.stdout(`${blocks.join('\n\n')}\n`)
      return ExitCodes.OK
    })
  },
}

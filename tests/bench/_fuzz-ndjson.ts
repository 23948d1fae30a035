// Fuzz target: the NDJSON history importer (`flakeline import --format ndjson`, `flakeline replay`).
// Valid histories must come back as written; anything else is refused with an import code, and
// what is accepted must be a history the store, doctor and export agree with.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NdjsonHistoryParser, readNdjsonHistory } from '../../dist/src/history-import/ndjson-history.js'
import type { HistoryRun } from '../../dist/src/history-import/history-run.js'
import { check, coded, codedAsync, type FuzzTarget } from './_fuzz-harness.js'
import { IMPORT_CODES, ROOT, checkImported, storedPath, testName, testPath } from './_fuzz-history.js'
import { Random, anyValue, hostileNumber, hostileString, mutateText, randomText, word } from './_fuzz-random.js'

type Line = Record<string, unknown>

/** A valid history: runs of consecutive lines, each file once per run, each test once per file. */
function validHistory(r: Random): Line[] {
  const lines: Line[] = []
  const runs = r.range(1, 2)
  for (let n = 0; n < runs; n++) {
    const run = r.chance(0.5) ? `run-${n}-${word(r)}` : `${2026_0000 + n}T${word(r, 6, 6)}`
    const commit = r.chance(0.5) ? word(r, 7, 40) : undefined
    const startedAt = r.chance(0.5) ? Date.UTC(2026, r.int(12), 1 + r.int(28)) + r.int(86_400_000) : undefined
    // One line per file and run: paths that the store keeps as one (`./a`, `a`, `<root>/a`) are one file.
    const paths = new Map<string, string>()
    for (let f = r.range(1, 3); f > 0; f--) {
      const path = testPath(r)
      paths.set(storedPath(path), path)
    }
    for (const file of paths.values()) {
      const project = r.chance(0.2) ? r.pick(['web', 'api']) : undefined
      const names = new Set<string>()
      for (let t = r.int(4); t > 0; t--) names.add(testName(r))
      for (const test of names) {
        const status = r.pick(['passed', 'failed', 'skipped', 'todo'])
        lines.push({
          run, file, test, status, ...(project ? { project } : {}), ...(commit && r.chance(0.5) ? { commit } : {}),
          ...(r.chance(0.8) ? { durationMs: r.chance(0.5) ? r.int(5_000) : r.next() * 100 } : {}),
          ...(status === 'passed' || status === 'failed' ? (r.chance(0.3) ? { attempts: r.range(1, 3) } : {}) : {}),
          ...(status === 'failed' && r.chance(0.7) ? { message: `expected ${r.int(10)} to be ${r.int(10)}\n    at ${file}:${r.int(100)}` } : {}),
          ...(startedAt !== undefined && r.chance(0.5) ? { startedAt: r.chance(0.5) ? startedAt : new Date(startedAt).toISOString() } : {}),
        })
      }
      if (r.chance(0.7) || names.size === 0) {
        lines.push({ run, file, status: r.pick(['passed', 'failed', 'skipped']), durationMs: r.int(60_000), ...(project ? { project } : {}), ...(commit ? { commit } : {}) })
      }
    }
  }
  return lines
}

function text(lines: readonly Line[], r: Random): string {
  const newline = r.chance(0.1) ? '\r\n' : '\n'
  const body = lines.map((line) => JSON.stringify(line)).join(r.chance(0.05) ? `${newline}${newline}` : newline)
  return `${r.chance(0.05) ? '\uFEFF' : ''}${body}${r.chance(0.7) ? newline : ''}`
}

const FIELDS = ['run', 'file', 'test', 'status', 'durationMs', 'startedAt', 'attempts', 'project', 'commit', 'message']
const RAW_NUMBERS = ['1e309', '-1e309', '-0', '1e-400', '9007199254740993', '8.64e15', '8640000000000001', '-1', '0.0000001', '604800001', '256', '1.5']

/** A line with one field made hostile, written as JSON text (raw numbers JSON.stringify cannot write). */
function hostileLine(r: Random, line: Line): string {
  const field = r.chance(0.8) ? r.pick(FIELDS) : r.pick(['__proto__', 'constructor', 'extra', ''])
  const roll = r.int(6)
  if (roll === 0) {
    const json = JSON.stringify({ ...line, [field]: 0 })
    return json.replace(`"${field}":0`, `"${field}":${r.pick(RAW_NUMBERS)}`)
  }
  if (roll === 1) {
    const depth = r.chance(0.95) ? r.pick([10, 1_000]) : 50_000
    const deep = r.chance(0.5) ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    return JSON.stringify({ ...line, [field]: 0 }).replace(`"${field}":0`, `"${field}":${deep}`)
  }
  if (roll === 2) return `{"__proto__":{"status":"passed","run":"x"},${JSON.stringify(line).slice(1)}`
  const value = roll === 3 ? hostileNumber(r) : roll === 4 ? hostileString(r) : anyValue(r)
  try {
    return JSON.stringify({ ...line, [field]: value }) ?? '{}'
  } catch {
    return JSON.stringify(line)
  }
}

/** A file path that leaves the root, is absolute elsewhere, or is not a normal path. */
function hostilePath(r: Random): string {
  return r.pick(['../x.test.ts', '/etc/passwd', `${ROOT}/../x.test.ts`, `${ROOT}`, 'a/../../b.test.ts', 'C:\\x.test.ts', 'tests\\a.test.ts', 'a//b.test.ts', '.', './', 'tests/a.test.ts\u0000', `${'d/'.repeat(600)}x.ts`, `tests/${'é'.repeat(400)}.ts`])
}

function hostileInput(r: Random): string {
  const roll = r.int(10)
  if (roll === 0) return randomText(r, r.size(400))
  if (roll === 1) return Array.from({ length: r.range(1, 6) }, () => r.pick(['{', '}', '[', ']', '"run"', ':', ',', '"x"', 'null', '1e999', '\n', '"\\u0000"', 'true', ' '])).join('').repeat(r.range(1, 20))
  const lines = validHistory(r)
  if (roll < 5) return mutateText(r, text(lines, r), r.chance(0.5) ? text(validHistory(r), r) : undefined)
  const texts = lines.map((line) => JSON.stringify(line))
  const at = r.int(texts.length)
  if (roll < 8) texts[at] = hostileLine(r, lines[at]!)
  else if (roll === 8) texts[at] = JSON.stringify({ ...lines[at], file: hostilePath(r) })
  else if (r.chance(0.05)) texts[at] = JSON.stringify({ ...lines[at], message: 'm'.repeat(1024 * 1024 - r.int(200)) })
  else texts.splice(r.int(texts.length + 1), 0, texts[at]!)
  return texts.join('\n')
}

/** The lines of `input` as `readLines` gives them: LF or CRLF, a BOM dropped from the first. */
function parse(input: string): HistoryRun[] {
  const parser = new NdjsonHistoryParser('history.ndjson', { root: ROOT })
  const runs: HistoryRun[] = []
  const lines = input.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    const finished = parser.push(i === 0 && line.startsWith('\uFEFF') ? line.slice(1) : line, i + 1)
    if (finished) runs.push(finished)
  })
  const last = parser.end()
  if (last) runs.push(last)
  return runs
}

/** The runs of a valid history, as the importer must give them back. */
function expected(lines: readonly Line[]): string[] {
  const shape: string[] = []
  for (const line of lines) {
    const key = `${line.run} ${line.project ?? ''}:${storedPath(line.file as string)}`
    if (!shape.includes(key)) shape.push(key)
  }
  return shape
}

function shapeOf(runs: readonly HistoryRun[]): string[] {
  return runs.flatMap((run) => run.files.map((file) => `${run.id} ${file.project}:${file.path}`))
}

let scratch: string | null = null

/** One case in fifty reads its input from a file, as `flakeline import` does, and must agree with the line parser. */
async function viaFile(input: string, inMemory: { value: HistoryRun[] } | { code: string }): Promise<void> {
  const path = join(scratch!, 'history.ndjson')
  writeFileSync(path, input)
  const read = await codedAsync(IMPORT_CODES, 'readNdjsonHistory', async () => {
    const runs: HistoryRun[] = []
    for await (const run of readNdjsonHistory(path, 'history.ndjson', { root: ROOT })) runs.push(run)
    return runs
  })
  check('value' in read === 'value' in inMemory, 'reading the file and parsing its lines disagree on whether it is valid')
  if ('value' in read && 'value' in inMemory) check(JSON.stringify(read.value) === JSON.stringify(inMemory.value), 'reading the file and parsing its lines give other runs')
}

export function ndjsonTarget(dir: () => string): FuzzTarget {
  return {
    name: 'ndjson',
    what: 'NdjsonHistoryParser line by line, readNdjsonHistory from a file; accepted runs checked against the store, doctor and export',
    codes: IMPORT_CODES,
    async run(r) {
      scratch ??= dir()
      if (r.chance(0.2)) {
        const lines = validHistory(r)
        const runs = parse(text(lines, r))
        check(JSON.stringify(shapeOf(runs)) === JSON.stringify(expected(lines)), 'a valid history came back with other runs or files')
        const tests = runs.reduce((sum, run) => sum + run.files.reduce((n, file) => n + file.tests.length, 0), 0)
        check(tests === lines.filter((line) => line.test !== undefined).length, 'a valid history came back with another number of tests')
        for (const run of runs) checkImported(run, 'the NDJSON importer')
        return 'ok'
      }
      const input = hostileInput(r)
      const parsed = coded(IMPORT_CODES, 'NdjsonHistoryParser.push', () => parse(input))
      if ('value' in parsed) for (const run of parsed.value) checkImported(run, 'the NDJSON importer')
      if (r.chance(0.02)) await viaFile(input, parsed)
      return 'value' in parsed ? 'ok' : parsed.code
    },
  }
}

// Converts the CSV histories in ../shared/data/ci-history/ to flakeline's NDJSON history form (see
// that directory's README for the columns). Written once into node_modules/.cache and reused.
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'

export const CI_HISTORY_DIR = join(process.cwd(), '..', 'shared', 'data', 'ci-history')
const CACHE = join(process.cwd(), 'node_modules', '.cache', 'flakeline-ci-history')

/** One CSV line into fields (double quotes, doubled quotes inside, commas inside quotes). */
export function csvFields(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"'
        i++
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      fields.push(field)
      field = ''
    } else field += char
  }
  fields.push(field)
  return fields
}

interface Row {
  run: string
  file: string
  failed: boolean
  durationMs: number
  commit?: string
}

/**
 * Rows to NDJSON lines, one line per file per run. Rows are in time order; a run is a block of
 * consecutive rows with the same cycle. A file listed more than once in one run (square-retrofit
 * lists a test once per build of the cycle) becomes one line: failed if any row failed, the
 * durations summed (it ran that many times).
 */
function toNdjson(rows: Row[]): { text: string; runs: number; lines: number } {
  const out: string[] = []
  let runs = 0
  let block: Row[] = []
  const seen = new Map<string, number>()
  const flush = (): void => {
    if (block.length === 0) return
    const cycle = block[0]!.run
    const repeat = seen.get(cycle) ?? 0
    seen.set(cycle, repeat + 1)
    const id = repeat === 0 ? cycle : `${cycle}~${repeat + 1}`
    const merged = new Map<string, Row>()
    for (const row of block) {
      const prior = merged.get(row.file)
      merged.set(row.file, prior ? { ...prior, failed: prior.failed || row.failed, durationMs: prior.durationMs + row.durationMs } : row)
    }
    for (const row of merged.values()) {
      out.push(JSON.stringify({ run: id, file: row.file, status: row.failed ? 'failed' : 'passed', durationMs: Math.round(row.durationMs * 1000) / 1000, ...(row.commit ? { commit: row.commit } : {}) }))
    }
    runs++
    block = []
  }
  for (const row of rows) {
    if (block.length && block[0]!.run !== row.run) flush()
    block.push(row)
  }
  flush()
  return { text: `${out.join('\n')}\n`, runs, lines: out.length }
}

async function readRows(csv: string): Promise<Row[]> {
  const lines = createInterface({ input: createReadStream(csv), crlfDelay: Infinity })
  let header: string[] | null = null
  const rows: Row[] = []
  for await (const line of lines) {
    if (!line.trim()) continue
    const fields = csvFields(line)
    if (!header) {
      header = fields
      continue
    }
    const get = (name: string): string => fields[header!.indexOf(name)] ?? ''
    if (header.includes('Verdict')) {
      // square-retrofit (COLEMAN4HCS): Name, Duration (s), Verdict (1 = failed), Cycle.
      rows.push({ run: `cycle-${get('Cycle')}`, file: `test-${get('Name')}`, failed: get('Verdict') === '1', durationMs: Number(get('Duration')) * 1000 })
    } else {
      // Commons (tp_rl): test_class_name, cycle_id (a commit SHA), current_failures, time (s).
      rows.push({ run: get('cycle_id'), file: get('test_class_name'), failed: Number(get('current_failures')) > 0, durationMs: Number(get('time')) * 1000, commit: get('cycle_id') })
    }
  }
  return rows
}

/** The NDJSON form of one CSV data set, converted on first use. */
export async function ndjsonOf(csvName: string): Promise<{ path: string; runs: number; lines: number }> {
  mkdirSync(CACHE, { recursive: true })
  const csv = join(CI_HISTORY_DIR, csvName)
  const path = join(CACHE, `${basename(csvName, '.csv')}.ndjson`)
  const meta = `${path}.json`
  if (existsSync(path) && existsSync(meta) && statSync(path).mtimeMs >= statSync(csv).mtimeMs) return { path, ...(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(meta, 'utf8'))) as { runs: number; lines: number }) }
  const { text, runs, lines } = toNdjson(await readRows(csv))
  writeFileSync(path, text)
  writeFileSync(meta, JSON.stringify({ runs, lines }))
  return { path, runs, lines }
}

export const DATA_SETS = ['square-retrofit.csv', 'Commons_codec.csv', 'Commons_io.csv'] as const

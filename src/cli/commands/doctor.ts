import { statSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import { HistoryStore, SCHEMA_VERSION, STORE_FILE } from '../../store/history-store.js'
import { processGone } from '../../core/process-identity.js'
import { walkDamage, walkStore } from '../../store/store-walk.js'
import { salvageStore, type SalvageReport } from '../../store/salvage.js'
import { ExitCodes, type CliIO } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs } from '../command.js'
import { safeText } from '../format.js'
import { cliOptions } from '../store-location.js'
import { plural } from '../../core/plural.js'

const usage = 'flakeline doctor [--repair] [--json] [--dir DIR]'
/** A run still `running` after this long was killed before its reporter could close it. */
const ABANDONED_AFTER_MS = 6 * 60 * 60 * 1000
/** Characters of one check's detail in text output (`--json` has it whole). */
const DETAIL_CHARS = 600

interface Check {
  name: string
  ok: boolean
  detail: string
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** The checks of an existing store; the record walk runs in child processes, the rest only on a store that passed it. */
async function storeChecks(dir: string, historyLimit: number, checks: Check[], facts: Record<string, unknown>): Promise<void> {
  const started = performance.now()
  const walk = await walkStore(dir, { mode: 'check' })
  facts.walk = { ms: Math.round(performance.now() - started), children: walk.children, crashes: walk.crashes }
  if (walk.openError) {
    checks.push({ name: 'store', ok: false, detail: `${walk.openError.code}: ${walk.openError.message}` })
    return
  }
  const path = join(dir, STORE_FILE)
  const size = statSync(path).size
  facts.sizeBytes = size
  checks.push({ name: 'store', ok: true, detail: `${path} (${formatBytes(size)})` })
  const damage = walkDamage(walk)
  if (damage.length) {
    // Nothing more is read in this process: a damaged page can abort it.
    checks.push({ name: 'records', ok: false, detail: `${ErrorCodes.STORE_CORRUPT}: the store's pages are damaged: ${damage.map(({ part, detail }) => `${part}: ${detail}`).join(' | ')}; flakeline doctor --repair sets the store aside and salvages every record that still reads` })
    return
  }
  let store: HistoryStore | undefined
  try {
    store = HistoryStore.open(dir, { historyLimit, readOnly: true })
    const schema = store.schemaVersion()
    facts.schema = schema
    Object.assign(facts, store.counts())
    checks.push({ name: 'schema', ok: schema <= SCHEMA_VERSION, detail: `version ${schema} (this flakeline reads up to ${SCHEMA_VERSION})` })
    checks.push({ name: 'records', ok: true, detail: 'every record decodes' })
    const runs = store.listRuns()
    const incomplete = runs.filter((run) => run.status === 'incomplete')
    const running = runs.filter((run) => run.status === 'running')
    // A run on another machine cannot be checked by process; after hours it is taken as abandoned.
    const stale = running.filter((run) => processGone(run.owner) === null && Date.now() - run.startedAt > ABANDONED_AFTER_MS)
    const parts: string[] = []
    if (incomplete.length) parts.push(`${plural(incomplete.length, 'run')} incomplete: the process recording ${incomplete.length === 1 ? 'it' : 'them'} ended first (killed or crashed), the files recorded are kept (${incomplete.slice(-3).map((run) => safeText(run.id, 60)).join(', ')})`)
    if (running.length - stale.length > 0) parts.push(`${plural(running.length - stale.length, 'run')} in progress`)
    if (stale.length) parts.push(`${plural(stale.length, 'run')} from another machine never finished (over ${ABANDONED_AFTER_MS / 3_600_000} hours old)`)
    checks.push({ name: 'runs', ok: true, detail: parts.length ? parts.join('; ') : 'every run finished' })
  } catch (error) {
    const code = error instanceof FlakelineError ? `${error.code}: ` : ''
    checks.push({ name: 'store', ok: false, detail: `${code}${error instanceof Error ? error.message : String(error)}` })
  } finally {
    await store?.close()
  }
}

function repairLines(report: SalvageReport): string[] {
  const { kept, rebuilt, lost } = report
  const lostTotal = Object.values(lost).reduce((sum, count) => sum + count, 0)
  const lines = [
    `  set aside   ${report.asideDir} (the damaged data file; delete it once the new store serves you)`,
    `  kept        ${plural(kept.runs, 'run')}, ${plural(kept.fileRecords, 'file result')}, ${plural(kept.files, 'file window')}, ${plural(kept.tests, 'test window')}, ${plural(kept.verdicts, 'verdict')}`,
  ]
  if (rebuilt.files || rebuilt.tests) lines.push(`  rebuilt     ${plural(rebuilt.files, 'file window')} and ${plural(rebuilt.tests, 'test window')} from the kept file results`)
  const where = Object.entries(lost).filter(([, count]) => count > 0).map(([db, count]) => `${db} ${count}`)
  lines.push(`  lost        ${lostTotal === 0 ? 'no record' : `${plural(lostTotal, 'damaged record')} (${where.join(', ')})`}${report.unfinished.length ? `; not read past the damage: ${report.unfinished.join(', ')}` : ''}`)
  if (report.walk.openError) lines.push(`  unreadable  ${report.walk.openError.code}: ${report.walk.openError.message}; the new store starts empty`)
  if (report.walk.crashes) lines.push(`  crashes     ${report.walk.crashes} reading process${report.walk.crashes === 1 ? '' : 'es'} died on damaged pages; what ${report.walk.crashes === 1 ? 'it' : 'they'} sent before is kept`)
  return lines
}

async function repair(io: CliIO, dir: string, historyLimit: number, json: boolean): Promise<SalvageReport> {
  if (!HistoryStore.exists(dir)) throw new FlakelineError(ErrorCodes.STORE_OPEN, `no store at ${dir} to repair`)
  const report = await salvageStore(dir, { historyLimit })
  if (!json) io.stdout(`flakeline doctor --repair — store ${dir}\n${repairLines(report).join('\n')}\n\n`)
  return report
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'store location, schema, size and health, its records checked in a child process; exits 1 when unhealthy. --repair sets a damaged store aside and salvages every record that still reads into a new one',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...STORE_OPTIONS, repair: { type: 'boolean', default: false } }, usage)
    const { options, warnings } = await cliOptions(io, values.dir)
    const repaired = values.repair ? await repair(io, options.dir, options.historyLimit, values.json) : null
    const checks: Check[] = [
      { name: 'config', ok: warnings.length === 0, detail: warnings.length ? warnings.join('; ') : (options.configFile ?? 'defaults (no flakeline.config file)') },
    ]
    const facts: Record<string, unknown> = { dir: options.dir, historyLimit: options.historyLimit }
    if (!HistoryStore.exists(options.dir)) {
      checks.push({ name: 'store', ok: false, detail: `no store at ${options.dir}: run the tests once with the flakeline reporter, or pass --dir` })
    } else await storeChecks(options.dir, options.historyLimit, checks, facts)
    const healthy = checks.every((check) => check.ok)
    if (values.json) {
      const repair = repaired ? { asideDir: repaired.asideDir, kept: repaired.kept, rebuilt: repaired.rebuilt, lost: repaired.lost, unfinished: repaired.unfinished, crashes: repaired.walk.crashes, unreadable: repaired.walk.openError } : undefined
      io.stdout(`${JSON.stringify({ healthy, ...facts, checks, ...(repair ? { repair } : {}) }, null, 2)}\n`)
    } else {
      const lines = [`flakeline doctor — store ${options.dir}`]
      for (const check of checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(8)} ${safeText(check.detail, DETAIL_CHARS)}`)
      if (facts.runs !== undefined) lines.push(`        counts   ${facts.runs} runs, ${facts.files} files, ${facts.tests} tests, ${facts.fileRecords} file records`)
      lines.push(healthy ? 'healthy' : 'unhealthy')
      io.stdout(`${lines.join('\n')}\n`)
    }
    return healthy ? ExitCodes.OK : ExitCodes.FAILURE
  },
}

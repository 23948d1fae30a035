import { FlakelineError } from '../../errors.js'
import { HistoryStore, SCHEMA_VERSION } from '../../store/history-store.js'
import { processGone } from '../../core/process-identity.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs } from '../command.js'
import { cliOptions } from '../store-location.js'

const usage = 'flakeline doctor [--json] [--dir DIR]'
/** A run still `running` after this long was killed before its reporter could close it. */
const ABANDONED_AFTER_MS = 6 * 60 * 60 * 1000

interface Check {
  name: string
  ok: boolean
  detail: string
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'store location, schema, size and health; exits 1 when unhealthy',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, STORE_OPTIONS, usage)
    const { options, warnings } = await cliOptions(io, values.dir)
    const checks: Check[] = [
      { name: 'config', ok: warnings.length === 0, detail: warnings.length ? warnings.join('; ') : (options.configFile ?? 'defaults (no flakeline.config file)') },
    ]
    const facts: Record<string, unknown> = { dir: options.dir, historyLimit: options.historyLimit }
    if (!HistoryStore.exists(options.dir)) {
      checks.push({ name: 'store', ok: false, detail: `no store at ${options.dir}: run the tests once with the flakeline reporter, or pass --dir` })
    } else {
      let store: HistoryStore | undefined
      try {
        store = HistoryStore.open(options.dir, { historyLimit: options.historyLimit, readOnly: true })
        const schema = store.schemaVersion()
        facts.schema = schema
        facts.sizeBytes = store.sizeOnDisk()
        Object.assign(facts, store.counts())
        checks.push({ name: 'store', ok: true, detail: `${store.path} (${formatBytes(store.sizeOnDisk())})` })
        checks.push({ name: 'schema', ok: schema <= SCHEMA_VERSION, detail: `version ${schema} (this flakeline reads up to ${SCHEMA_VERSION})` })
        const problems = store.verify()
        checks.push({ name: 'records', ok: problems.length === 0, detail: problems.length ? problems.join('; ') : 'every record decodes' })
        const runs = store.listRuns()
        const incomplete = runs.filter((run) => run.status === 'incomplete')
        const running = runs.filter((run) => run.status === 'running')
        // A run on another machine cannot be checked by process; after hours it is taken as abandoned.
        const stale = running.filter((run) => processGone(run.owner) === null && Date.now() - run.startedAt > ABANDONED_AFTER_MS)
        const parts: string[] = []
        if (incomplete.length) parts.push(`${incomplete.length} run${incomplete.length === 1 ? '' : 's'} incomplete: the process recording ${incomplete.length === 1 ? 'it' : 'them'} ended first (killed or crashed), the files recorded are kept (${incomplete.slice(-3).map((run) => run.id).join(', ')})`)
        if (running.length - stale.length > 0) parts.push(`${running.length - stale.length} run${running.length - stale.length === 1 ? '' : 's'} in progress`)
        if (stale.length) parts.push(`${stale.length} run${stale.length === 1 ? '' : 's'} from another machine never finished (over ${ABANDONED_AFTER_MS / 3_600_000} hours old)`)
        checks.push({ name: 'runs', ok: true, detail: parts.length ? parts.join('; ') : 'every run finished' })
      } catch (error) {
        const code = error instanceof FlakelineError ? `${error.code}: ` : ''
        checks.push({ name: 'store', ok: false, detail: `${code}${error instanceof Error ? error.message : String(error)}` })
      } finally {
        await store?.close()
      }
    }
    const healthy = checks.every((check) => check.ok)
    if (values.json) {
      io.stdout(`${JSON.stringify({ healthy, ...facts, checks }, null, 2)}\n`)
    } else {
      const lines = [`flakeline doctor — store ${options.dir}`]
      for (const check of checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(8)} ${check.detail}`)
      if (facts.runs !== undefined) lines.push(`        counts   ${facts.runs} runs, ${facts.files} files, ${facts.tests} tests, ${facts.fileRecords} file records`)
      lines.push(healthy ? 'healthy' : 'unhealthy')
      io.stdout(`${lines.join('\n')}\n`)
    }
    return healthy ? ExitCodes.OK : ExitCodes.FAILURE
  },
}

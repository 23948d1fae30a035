import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCodes, FlakelineError, type ErrorCode } from '../errors.js'
import { HistoryStore, STORE_FILE, type StoreOpenOptions } from './history-store.js'
import { walkDamage, walkStore, type Damage } from './store-walk.js'
import { isTrusted, markTrusted } from './trust-stamp.js'

/** How long the check's process may go without progress before the store is treated as unusable for this run. */
const CHECK_TIMEOUT_MS = 60_000

/** What the check in child processes found. */
export interface SoundnessReport {
  ok: boolean
  /** The store did not open at all (a bad header, a newer schema): its own code and message. */
  openError: { code: string; message: string } | null
  /** What the walk found damaged. */
  problems: Damage[]
  ms: number
}

/**
 * Walks every record of the store in child processes and makes an aborted write there
 * (`walkStore` in `probe` mode, the walk `doctor` makes). Never rejects.
 */
export async function checkInChild(dir: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<SoundnessReport> {
  const started = Date.now()
  const walk = await walkStore(dir, { mode: 'probe', idleTimeoutMs: timeoutMs })
  const problems = walk.openError ? [] : walkDamage(walk, 'probe')
  return { ok: !walk.openError && problems.length === 0, openError: walk.openError, problems, ms: Date.now() - started }
}

/**
 * Throws `FLAKELINE_E_STORE_CORRUPT` unless the store in `dir` is flakeline's own or was read through
 * whole by a child process; a missing store passes (there is nothing to open).
 */
export async function ensureSound(dir: string): Promise<void> {
  const file = join(dir, STORE_FILE)
  if (!existsSync(file) || isTrusted(file)) return
  // The sequencer and the reporter of one run ask at about the same time: one check answers both.
  const key = Symbol.for('flakeline.storeChecks')
  const holder = globalThis as Record<symbol, Map<string, Promise<SoundnessReport>> | undefined>
  const checks = (holder[key] ??= new Map<string, Promise<SoundnessReport>>())
  let pending = checks.get(dir)
  if (!pending) {
    pending = checkInChild(dir)
    checks.set(dir, pending)
    void pending.finally(() => checks.delete(dir))
  }
  const report = await pending
  if (report.ok) {
    markTrusted(file)
    return
  }
  // A store that does not open says why itself (a newer schema, a bad header), as opening it here would.
  if (report.openError) throw new FlakelineError(report.openError.code as ErrorCode, report.openError.message)
  // The parts by name only: what LMDB said about them is for `flakeline doctor`, not the user's run.
  const parts = report.problems.map(({ part }) => part).join(', ')
  throw new FlakelineError(
    ErrorCodes.STORE_CORRUPT,
    `the flakeline store at ${dir} is damaged (in ${parts}; flakeline doctor says how); it was left untouched: flakeline doctor --repair sets it aside and keeps what it can`,
  )
}

/** Opens the store in `dir` once `ensureSound` has passed it: how a process that must not abort opens a store. */
export async function openSoundStore(dir: string, options: StoreOpenOptions): Promise<HistoryStore> {
  await ensureSound(dir)
  return HistoryStore.open(dir, options)
}

import { createHash, randomBytes } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatShardPlan, validateShardPlan, type ShardPlan } from './shard-plan.js'

/**
 * A round ends when a shard index runs a second time, or after this long with no shard starting or
 * ending: the next shard then starts a new job with a new plan.
 */
export const ROUND_IDLE_MS = 60 * 60 * 1000
/** Rounds kept per job key; older ones are removed. */
const ROUNDS_KEPT = 5

/** One shard's place in a local job: the job's key, its round, and the plan every shard of the round uses. */
export interface LocalJob {
  /** `local-<key>-<round>`: what the run record's `job` says, so `merge` folds the round into one run. */
  job: string
  plan: ShardPlan
  /** Marks the round as active (called when the shard's run ends, so a long shard does not idle it out). */
  touch: () => void
}

/**
 * Where a checkout keeps its local shard jobs: `node_modules/.cache/flakeline` in the root (the
 * convention of `find-cache-dir`, and where Vitest keeps its own cache). The place must not depend on
 * what a shard's run leaves behind (Vitest creates `node_modules` in a project that had none), so it
 * is created when missing; only a root that cannot be written to uses the system's temporary directory.
 */
function jobsDir(root: string): string {
  const inRoot = join(root, 'node_modules', '.cache', 'flakeline', 'shard-jobs')
  try {
    mkdirSync(inRoot, { recursive: true })
    return inRoot
  } catch {
    return join(tmpdir(), `flakeline-shard-jobs-${createHash('sha256').update(root).digest('hex').slice(0, 16)}`)
  }
}

function roundsOf(base: string): number[] {
  if (!existsSync(base)) return []
  return readdirSync(base)
    .map((name) => /^r(\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b)
}

function idle(roundDir: string, now: number): boolean {
  try {
    return now - statSync(join(roundDir, 'activity')).mtimeMs > ROUND_IDLE_MS
  } catch {
    return false
  }
}

function touch(roundDir: string): void {
  const file = join(roundDir, 'activity')
  try {
    const now = new Date()
    if (existsSync(file)) utimesSync(file, now, now)
    else writeFileSync(file, '')
  } catch {
    // A read-only checkout: rounds then end only when an index repeats.
  }
}

/** Claims `index` in the round: true when this process holds the claim (it may ask again, as Vitest 3 does per pool). */
function claim(roundDir: string, index: number): boolean {
  const file = join(roundDir, `claim-${index}`)
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return readFileSync(file, 'utf8') === String(process.pid)
  }
}

/**
 * The round's plan: the first shard of the round writes it (to a temporary file, then a hard link,
 * which fails if another shard won the race), every later shard reads those same bytes.
 */
async function roundPlan(roundDir: string, make: () => Promise<ShardPlan>): Promise<ShardPlan> {
  const file = join(roundDir, 'plan.json')
  if (!existsSync(file)) {
    const plan = await make()
    const temporary = join(roundDir, `.plan-${process.pid}-${randomBytes(4).toString('hex')}`)
    writeFileSync(temporary, formatShardPlan(plan))
    try {
      linkSync(temporary, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      rmSync(temporary, { force: true })
    }
  }
  return validateShardPlan(JSON.parse(readFileSync(file, 'utf8')), file)
}

/**
 * Joins the local job of shard `index`: shards started one after another (or at once) in one
 * checkout share one frozen plan, made by the round's first shard from the history as it was before
 * any of them recorded anything, so no shard plans from its siblings' records. `key` names the job
 * (the root, the runner, the shard count and `runId` if set). A shard joins the newest round unless
 * its index already ran there (then it starts the next round: a new job) or the round idled out.
 * What this cannot tell apart: an interrupted job restarted within the hour whose later shards reach
 * the old round first; a new `runId` per job makes that explicit (the README says so).
 */
export async function joinLocalJob(root: string, key: string, index: number, make: () => Promise<ShardPlan>, now = Date.now()): Promise<LocalJob> {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16)
  const base = join(jobsDir(root), digest)
  mkdirSync(base, { recursive: true })
  let round = roundsOf(base).at(-1) ?? 1
  for (;;) {
    const roundDir = join(base, `r${round}`)
    mkdirSync(roundDir, { recursive: true })
    if (!idle(roundDir, now) && claim(roundDir, index)) {
      touch(roundDir)
      const plan = await roundPlan(roundDir, make)
      for (const old of roundsOf(base).slice(0, -ROUNDS_KEPT)) rmSync(join(base, `r${old}`), { recursive: true, force: true })
      return { job: `local-${digest}-${round}`, plan, touch: () => touch(roundDir) }
    }
    round++
  }
}

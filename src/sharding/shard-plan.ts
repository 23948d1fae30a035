import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { ErrorCodes, FlakelineError } from '../errors.js'
import type { ShardSplit } from '../scheduling/shards.js'

/** The format marker and version of a shard plan file. */
export const SHARD_PLAN_FORMAT = 'flakeline-shard-plan'
export const SHARD_PLAN_VERSION = 1
/** A plan names every file once; 50,000 files of 200-character ids fit in about 12 MB. */
const MAX_PLAN_BYTES = 64 * 1024 * 1024
const MAX_PLAN_FILES = 1_000_000
const MAX_SHARDS = 1024

/**
 * One split of a suite into shards, made once and read by every shard, so every shard assigns each
 * file alike. `fallback` set means "every shard uses the runner's own split" (the plan was made
 * without history): shards still agree, since they all read it.
 */
export interface ShardPlan {
  format: typeof SHARD_PLAN_FORMAT
  version: number
  shards: number
  createdAt: string
  /** What it was made from: the store's run count and newest run. */
  basis: { runs: number; lastRun: string | null }
  fallback: string | null
  /** File id → 1-based shard. */
  assign: Record<string, number>
  /** Predicted ms per shard at planning time. */
  predictedMs: number[]
  /** sha256 over shards, fallback and the sorted assignment: equal fingerprints, equal splits. */
  fingerprint: string
}

/** The fingerprint of a split: shard count, fallback, and every (file, shard) pair in code-unit order. */
export function planFingerprint(shards: number, fallback: string | null, assign: Record<string, number>): string {
  const hash = createHash('sha256').update(`${SHARD_PLAN_FORMAT}/${SHARD_PLAN_VERSION}\n${shards}\n${fallback ?? ''}\n`)
  for (const fileId of Object.keys(assign).sort()) hash.update(`${fileId}\0${assign[fileId]}\n`)
  return hash.digest('hex')
}

/** A plan from a balanced split (or a fallback when there is no history to balance by). */
export function makeShardPlan(
  shards: number,
  split: ShardSplit | null,
  basis: ShardPlan['basis'],
  fallback: string | null,
  now = new Date(),
): ShardPlan {
  const assign: Record<string, number> = Object.create(null) as Record<string, number>
  if (split && !fallback) split.shards.forEach((ids, index) => ids.forEach((id) => (assign[id] = index + 1)))
  return {
    format: SHARD_PLAN_FORMAT,
    version: SHARD_PLAN_VERSION,
    shards,
    createdAt: now.toISOString(),
    basis,
    fallback,
    assign,
    predictedMs: split && !fallback ? split.loads.map((load) => Math.round(load)) : [],
    fingerprint: planFingerprint(shards, fallback, assign),
  }
}

/**
 * The shard of a file the plan does not know (added since it was made): the first 32 bits of the
 * SHA-1 of its id, modulo the shard count. Every machine computes it alike from the id alone, so the
 * shards still partition the suite.
 */
export function unplannedShard(fileId: string, shards: number): number {
  return (createHash('sha1').update(fileId).digest().readUInt32BE(0) % shards) + 1
}

/** The 1-based shard of `fileId` under `plan`, and whether the plan knew the file. */
export function shardOf(plan: ShardPlan, fileId: string): { shard: number; planned: boolean } {
  const planned = plan.assign[fileId]
  return planned === undefined ? { shard: unplannedShard(fileId, plan.shards), planned: false } : { shard: planned, planned: true }
}

function invalid(where: string, what: string): FlakelineError {
  return new FlakelineError(ErrorCodes.SHARD_PLAN, `${where}: ${what}`)
}

/**
 * Checks a parsed plan field by field (a plan is input from another machine: never trusted) and
 * recomputes its fingerprint. Throws `FLAKELINE_E_SHARD_PLAN` naming the field.
 */
export function validateShardPlan(value: unknown, where: string): ShardPlan {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(where, 'not a JSON object')
  const plan = value as Record<string, unknown>
  if (plan.format !== SHARD_PLAN_FORMAT) throw invalid(where, `format must be "${SHARD_PLAN_FORMAT}" (written by flakeline plan --shards N --out FILE)`)
  if (typeof plan.version !== 'number' || !Number.isInteger(plan.version) || plan.version < 1) throw invalid(where, 'version must be a positive integer')
  if (plan.version > SHARD_PLAN_VERSION) throw invalid(where, `version ${plan.version} is newer than this flakeline understands (${SHARD_PLAN_VERSION})`)
  const shards = plan.shards
  if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw invalid(where, `shards must be an integer from 1 to ${MAX_SHARDS}`)
  if (typeof plan.createdAt !== 'string') throw invalid(where, 'createdAt must be a string')
  const basis = plan.basis as Record<string, unknown> | null
  if (!basis || typeof basis !== 'object' || typeof basis.runs !== 'number' || (basis.lastRun !== null && typeof basis.lastRun !== 'string')) {
    throw invalid(where, 'basis must be { runs, lastRun }')
  }
  if (plan.fallback !== null && typeof plan.fallback !== 'string') throw invalid(where, 'fallback must be null or a string')
  const assign = plan.assign
  if (!assign || typeof assign !== 'object' || Array.isArray(assign)) throw invalid(where, 'assign must be an object of file id → shard')
  const entries = Object.entries(assign as Record<string, unknown>)
  if (entries.length > MAX_PLAN_FILES) throw invalid(where, `assign holds more than ${MAX_PLAN_FILES} files`)
  const clean: Record<string, number> = Object.create(null) as Record<string, number>
  for (const [fileId, shard] of entries) {
    if (fileId.length === 0 || fileId.length > 2000) throw invalid(where, `assign has a file id of ${fileId.length} characters`)
    if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 1 || shard > shards) {
      throw invalid(where, `assign[${JSON.stringify(fileId.slice(0, 200))}] must be a shard from 1 to ${shards}`)
    }
    clean[fileId] = shard
  }
  if (!Array.isArray(plan.predictedMs) || !plan.predictedMs.every((ms) => typeof ms === 'number' && Number.isFinite(ms))) throw invalid(where, 'predictedMs must be a list of numbers')
  const fallback = (plan.fallback as string | null) ?? null
  const fingerprint = planFingerprint(shards, fallback, clean)
  if (plan.fingerprint !== fingerprint) throw invalid(where, 'fingerprint does not match the plan (edited or damaged)')
  return {
    format: SHARD_PLAN_FORMAT,
    version: plan.version,
    shards,
    createdAt: plan.createdAt,
    basis: { runs: basis.runs as number, lastRun: (basis.lastRun as string | null) ?? null },
    fallback,
    assign: clean,
    predictedMs: plan.predictedMs as number[],
    fingerprint,
  }
}

/** Reads and validates a plan file. Throws `FLAKELINE_E_SHARD_PLAN` (missing, too large, not JSON, invalid). */
export function readShardPlan(path: string): ShardPlan {
  let text: string
  try {
    const size = statSync(path).size
    if (size > MAX_PLAN_BYTES) throw invalid(path, `${size} bytes is more than a plan may hold (${MAX_PLAN_BYTES})`)
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof FlakelineError) throw error
    throw new FlakelineError(ErrorCodes.SHARD_PLAN, `cannot read the shard plan ${path}: ${(error as Error).message}`, { cause: error })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new FlakelineError(ErrorCodes.SHARD_PLAN, `${path}: not JSON (${(error as Error).message})`, { cause: error })
  }
  return validateShardPlan(parsed, path)
}

/** The plan as JSON text, one file per line so a diff of two plans is readable. */
export function formatShardPlan(plan: ShardPlan): string {
  const ids = Object.keys(plan.assign).sort()
  const assign = ids.map((id) => `    ${JSON.stringify(id)}: ${plan.assign[id]}`).join(',\n')
  const head = JSON.stringify({ ...plan, assign: undefined, fingerprint: undefined }, null, 2).replace(/\n}$/, '')
  return `${head},\n  "assign": {${ids.length ? `\n${assign}\n  ` : ''}},\n  "fingerprint": ${JSON.stringify(plan.fingerprint)}\n}\n`
}

import { availableParallelism } from 'node:os'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { POLICIES, type PolicyName } from '../scheduling/plan-types.js'

/** `--policy`, `--workers`, `--seed` and `--shard` as the planning commands take them; bad values are usage errors naming the flag. */
export const PLAN_FLAGS = {
  policy: { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
} as const

function usageError(message: string, usage: string): FlakelineError {
  return new FlakelineError(ErrorCodes.USAGE, `${message}\nusage: ${usage}`)
}

export function parsePolicy(value: string | undefined, fallback: PolicyName, usage: string): PolicyName {
  if (value === undefined) return fallback
  if (!(POLICIES as readonly string[]).includes(value)) throw usageError(`--policy must be one of ${POLICIES.join(', ')}, got ${JSON.stringify(value)}`, usage)
  return value as PolicyName
}

function integer(flag: string, value: string, min: number, max: number, usage: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw usageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, usage)
  return parsed
}

/** Workers: the flag, else the `workers` option, else what Jest uses by default (cores - 1). */
export function parseWorkers(value: string | undefined, fallback: number | undefined, usage: string): number {
  if (value !== undefined) return integer('--workers', value, 1, 1024, usage)
  return fallback ?? Math.max(1, availableParallelism() - 1)
}

export function parseSeed(value: string | undefined, fallback: number | undefined, usage: string): number | undefined {
  return value === undefined ? fallback : integer('--seed', value, 0, 0xffffffff, usage)
}

/** `--shards 4`: a shard count from 1 to 1024. */
export function parseShardCount(value: string, usage: string): number {
  return integer('--shards', value, 1, 1024, usage)
}

/** `--shard 2/4` → `{ index: 2, count: 4 }` (1-based, like the runners). */
export function parseShard(value: string | undefined, usage: string): { index: number; count: number } | null {
  if (value === undefined) return null
  const match = /^(\d+)\/(\d+)$/.exec(value.trim())
  const index = match ? Number(match[1]) : Number.NaN
  const count = match ? Number(match[2]) : Number.NaN
  if (!match || count < 1 || count > 1024 || index < 1 || index > count) {
    throw usageError(`--shard must look like 2/4: a shard index from 1 to the shard count (at most 1024), got ${JSON.stringify(value)}`, usage)
  }
  return { index, count }
}

/** Reconnect delays: exponential, capped, with half of each delay random. */
export interface BackoffOptions {
  /** First delay in milliseconds. Default 100. */
  initialMs: number
  /** Largest delay in milliseconds. Default 5000. */
  maxMs: number
  /** Growth per attempt. Default 2. */
  factor: number
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 100, maxMs: 5000, factor: 2 })

/**
 * The delay before reconnect attempt `attempt` (0-based). Jitter spreads many shards that lost the
 * same hub so they do not all come back in the same millisecond; `random` is injectable for tests.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

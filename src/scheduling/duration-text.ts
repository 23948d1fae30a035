/** Units a duration may be written in, and their length in milliseconds. */
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, sec: 1_000, m: 60_000, min: 60_000, h: 3_600_000 }

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)$/

/** The longest deadline accepted: a day. Longer ones are typos, not deadlines. */
export const MAX_DURATION_MS = 86_400_000

/**
 * Parses a duration written for people (`"20s"`, `"1.5s"`, `"500ms"`, `"2m"`, `"1h"`) or a number of
 * milliseconds. Returns null for anything else, including zero, negatives and more than a day, so
 * callers can name the bad option in their own words.
 */
export function parseDuration(value: unknown): number | null {
  let ms: number
  if (typeof value === 'number') ms = value
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim())
    if (!match) return null
    ms = Number(match[1]) * UNITS[match[2]!]!
  } else return null
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_DURATION_MS ? ms : null
}

/** A duration for a reason or a table: `840 ms`, `2.4 s`, `3 min 5 s`. */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`
}

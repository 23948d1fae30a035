// Crafted histories for the verdict tests: an outcome pattern per run ('0' passed, '1' failed,
// 'r' passed on retry, 'x' failed after a retry), with per-run overrides.
import type { HistoryMeasures } from '../../../src/analysis/history-signals.js'
import { measureHistories } from '../../../src/analysis/measure-histories.js'
import { packCases } from '../../../src/verdicts/pack.js'
import type { TestCase, TestObservation } from '../../../src/verdicts/types.js'

export const HOUR = 3_600_000
/** Monday 2025-01-06 09:00 UTC. */
export const START = Date.UTC(2025, 0, 6, 9)

export interface HistoryOptions {
  fileId?: string
  name?: string
  /** First seq (default 1). */
  firstSeq?: number
  /** Per run: a new commit each run unless overridden. */
  commit?: (i: number) => string | null
  changed?: (i: number) => boolean
  message?: (i: number) => string
  duration?: (i: number) => number
  timeoutMs?: number | null
  startedAt?: (i: number) => number
  before?: (i: number) => string[]
}

/** A test case from a pattern such as '0001101'. */
export function history(pattern: string, options: HistoryOptions = {}): TestCase {
  const observations = [...pattern].map((c, i): TestObservation => {
    const failed = c === '1' || c === 'x'
    const retried = c === 'r' || c === 'x'
    return {
      seq: (options.firstSeq ?? 1) + i,
      status: failed ? 'failed' : 'passed',
      attempts: retried ? 2 : 1,
      durationMs: options.duration?.(i) ?? 100 + ((i * 37) % 11),
      startedAt: options.startedAt?.(i) ?? START + i * 5 * HOUR,
      codeState: options.commit ? options.commit(i) : `commit-${i}`,
      message: failed || retried ? (options.message?.(i) ?? 'AssertionError: expected 41 to equal 42') : null,
      timeoutMs: options.timeoutMs === undefined ? 5000 : options.timeoutMs,
      before: options.before?.(i) ?? [],
      changed: options.changed?.(i) ?? false,
    }
  })
  return { fileId: options.fileId ?? 'tests/a.test.ts', name: options.name ?? 'a > test', observations }
}

/** The kernels' measures of whole histories, in this thread. */
export function measure(...cases: TestCase[]): HistoryMeasures[] {
  return measureHistories(packCases(cases).histories)
}

/** `count` runs failing exactly at the given indexes. */
export function failingAt(count: number, failures: Iterable<number>, mark = '1'): string {
  const set = new Set(failures)
  return Array.from({ length: count }, (_, i) => (set.has(i) ? mark : '0')).join('')
}

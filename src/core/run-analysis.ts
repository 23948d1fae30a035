import { AnalysisPool } from '../analysis/analysis-pool.js'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import type { HistoryStore } from '../store/history-store.js'
import { analyseTests } from '../verdicts/analyse-tests.js'
import type { Verdict } from '../verdicts/types.js'
import { testCasesOf, type RanFile } from './test-cases.js'

/** What changed in the verdicts with this run, for the few lines the terminal shows. */
export interface VerdictChanges {
  newlyFlaky: Verdict[]
  newlyFailing: Verdict[]
  recovered: Verdict[]
  /** Tests analysed. */
  analysed: number
}

/** Analysis threads: the machine's cores, at most 4 (the run is over; its workers are gone). */
const MAX_THREADS = 4

/**
 * After a run, before the runner exits: the tests that ran are analysed in the worker pool on the
 * WebAssembly kernels (one batched call), the meta-learner learns from what the run resolved, and
 * the verdicts, clusters and model are written in one transaction. Bounded by `timeoutMs`: on a
 * timeout or any failure nothing is written (the previous verdicts stay) and the promise rejects
 * with a coded error for the recorder to warn about once.
 */
export async function analyseRun(store: HistoryStore, ran: readonly RanFile[], seq: number, timeoutMs: number): Promise<VerdictChanges> {
  const cases = testCasesOf(store, ran)
  if (cases.length === 0) return { newlyFlaky: [], newlyFailing: [], recovered: [], analysed: 0 }
  const previous = new Map(cases.map((test) => [`${test.fileId}\0${test.name}`, store.analysis.verdictOf(test.fileId, test.name)?.verdict]))
  const pool = new AnalysisPool({ threads: Math.max(1, Math.min(MAX_THREADS, (await import('node:os')).availableParallelism())), closeTimeout: 1_000 })
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutMs)
  try {
    const result = await Promise.race([
      analyseTests(cases, store.analysis.model(), { pool, signal: abort.signal }),
      new Promise<never>((_, reject) =>
        abort.signal.addEventListener('abort', () => reject(new FlakelineError(ErrorCodes.ANALYSIS_TIMEOUT, `the analysis of ${cases.length} tests took longer than ${timeoutMs} ms; the previous verdicts stay`)), { once: true }),
      ),
    ])
    await store.analysis.writeAnalysis(result.verdicts, result.clusters, result.model, seq)
    const changes: VerdictChanges = { newlyFlaky: [], newlyFailing: [], recovered: [], analysed: cases.length }
    for (const verdict of result.verdicts) {
      const before = previous.get(`${verdict.fileId}\0${verdict.test}`)
      if (verdict.verdict === 'flaky' && before !== 'flaky') changes.newlyFlaky.push(verdict)
      else if (verdict.verdict === 'failing' && before !== 'failing') changes.newlyFailing.push(verdict)
      else if (verdict.verdict === 'recovered' && before !== 'recovered') changes.recovered.push(verdict)
    }
    return changes
  } catch (error) {
    throw asFlakelineError(error, ErrorCodes.ANALYSIS_WORKER, 'the flaky analysis failed; the previous verdicts stay')
  } finally {
    clearTimeout(timer)
    await pool.close()
  }
}

/** At most this many tests per kind in the lines at the end of a run. */
const SHOWN = 3

/** The few lines at the end of a run: newly flaky, newly failing and recovered tests, never a wall. */
export function verdictLines(changes: VerdictChanges): string[] {
  const lines: string[] = []
  const list = (verdicts: readonly Verdict[]) => {
    const named = verdicts.slice(0, SHOWN).map((verdict) => `${verdict.test} (${verdict.fileId}${verdict.verdict === 'flaky' ? `, ${Math.round(verdict.confidence * 100)}%` : ''})`)
    return `${named.join('; ')}${verdicts.length > SHOWN ? `; and ${verdicts.length - SHOWN} more` : ''}`
  }
  if (changes.newlyFailing.length) lines.push(`newly failing: ${list(changes.newlyFailing)}`)
  if (changes.newlyFlaky.length) lines.push(`newly flaky: ${list(changes.newlyFlaky)}`)
  if (changes.recovered.length) lines.push(`recovered: ${list(changes.recovered)}`)
  if (lines.length) lines.push('see `npx flakeline flaky` and `npx flakeline explain <test>`')
  return lines
}

/**
 * The dashboard's flaky panel: the stored verdicts (`GET /api/verdicts`), brought up to date by the
 * live `verdict` frames that arrived after they were read. Pure, no DOM and no Node: the hub builds
 * the answer, the browser bundle and Node tests read it.
 */
import { passedOnRetry } from '../evidence/outcomes.js'
import type { TestStatus } from '../records.js'
import type { VerdictKind } from '../verdicts/types.js'

/** The kinds the panel lists, in its order: flaky first, then real failures, then recoveries. */
export const PANEL_KINDS: readonly VerdictKind[] = ['flaky', 'failing', 'recovered']
/** Every kind, in the order lists sort them (`new` and `stable` only when asked for). */
export const VERDICT_ORDER: readonly VerdictKind[] = ['flaky', 'failing', 'recovered', 'new', 'stable']
/** Runs in a verdict's outcome strip, newest last. */
export const STRIP_RUNS = 30
/** Verdicts in one answer at most: the panel is for reading, `flakeline flaky --json` has them all. */
export const MAX_VERDICTS = 500
/** Clusters in one answer at most, and members listed per cluster. */
export const MAX_CLUSTERS = 100
export const MAX_CLUSTER_MEMBERS = 20

/** One run of a test in its outcome strip. */
export interface OutcomeCell {
  seq: number
  status: TestStatus
  attempts: number
}

/** One signal of a verdict, as the panel shows it. */
export interface EvidenceView {
  signal: string
  value: number
  detail: string
  /** What it added to the log-odds of flaky; null when a live frame (which does not carry it) said so. */
  contribution: number | null
}

/** One verdict with its evidence and outcome strip. */
export interface VerdictRow {
  fileId: string
  path: string
  name: string
  verdict: VerdictKind
  confidence: number
  flakyProbability: number
  /** Seq of the run since which the verdict holds. */
  since: number
  expectedAttempts: number
  /** The verdict in one sentence; empty when a live frame changed the kind since it was read. */
  reason: string
  evidence: EvidenceView[]
  /** The test's newest runs (at most {@link STRIP_RUNS}), newest last. */
  outcomes: OutcomeCell[]
}

/** Tests that fail in the same runs. */
export interface ClusterView {
  id: string
  similarity: number
  detail: string
  tests: Array<{ fileId: string; name: string }>
  /** Members left out of `tests` by {@link MAX_CLUSTER_MEMBERS}. */
  omitted: number
}

/** The body of `GET /api/verdicts`. */
export interface VerdictsAnswer {
  /** Analyses the store's model has learned from: 0 before the first (no verdicts yet). */
  analyses: number
  /** The kinds asked for. */
  kinds: VerdictKind[]
  /** Sorted by {@link compareVerdicts}. */
  tests: VerdictRow[]
  /** Verdicts of those kinds left out by the limit. */
  omitted: number
  clusters: ClusterView[]
  clustersOmitted: number
}

/** A verdict that changed with a run's analysis, from a live `verdict` frame. */
export interface LiveVerdict {
  fileId: string
  name: string
  verdict: VerdictKind
  confidence: number
  evidence: Array<{ signal: string; value: number; detail: string }>
  /** Arrival order across the page's whole life (see `LiveModel.verdictSeq`). */
  order: number
}

/** Kind in {@link VERDICT_ORDER}, then the most confident, then the newest, then by file and name. */
export function compareVerdicts(a: Pick<VerdictRow, 'verdict' | 'confidence' | 'since' | 'fileId' | 'name'>, b: Pick<VerdictRow, 'verdict' | 'confidence' | 'since' | 'fileId' | 'name'>): number {
  return (
    VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict) ||
    b.confidence - a.confidence ||
    b.since - a.since ||
    (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  )
}

export const verdictKey = (fileId: string, name: string): string => `${fileId}\u0000${name}`

/**
 * The panel's rows: the stored verdicts, with each live verdict that arrived after they were read
 * (`order > readAt`) laid over its test, in arrival order. A live verdict keeps the stored outcome
 * strip (the store has the runs; the frame has only the conclusion); a test the store did not list
 * gets a row of its own. Rows whose kind is not in `kinds` are left out.
 */
export function panelVerdicts(stored: readonly VerdictRow[], updates: readonly LiveVerdict[], readAt: number, kinds: readonly VerdictKind[] = PANEL_KINDS): VerdictRow[] {
  const rows = new Map(stored.map((row) => [verdictKey(row.fileId, row.name), row]))
  for (const update of [...updates].filter((candidate) => candidate.order > readAt).sort((a, b) => a.order - b.order)) {
    const key = verdictKey(update.fileId, update.name)
    const before = rows.get(key)
    rows.set(key, {
      fileId: update.fileId,
      path: before?.path ?? update.fileId,
      name: update.name,
      verdict: update.verdict,
      confidence: update.confidence,
      flakyProbability: update.verdict === 'flaky' ? update.confidence : (before?.flakyProbability ?? 0),
      since: before && before.verdict === update.verdict ? before.since : Number.MAX_SAFE_INTEGER,
      expectedAttempts: before?.expectedAttempts ?? 1,
      reason: before && before.verdict === update.verdict ? before.reason : '',
      evidence: update.evidence.map((evidence) => ({ ...evidence, contribution: null })),
      outcomes: before?.outcomes ?? [],
    })
  }
  return Array.from(rows.values())
    .filter((row) => kinds.includes(row.verdict))
    .sort(compareVerdicts)
}

/** How one run looks in an outcome strip: ✓ passed, ✗ failed, ↻ passed on retry, · skipped, … todo. */
export function outcomeMark(cell: Pick<OutcomeCell, 'status' | 'attempts'>): { symbol: string; kind: 'passed' | 'failed' | 'retried' | 'skipped' | 'todo'; label: string } {
  if (passedOnRetry(cell)) return { symbol: '↻', kind: 'retried', label: `passed on retry (${cell.attempts} attempts)` }
  if (cell.status === 'passed') return { symbol: '✓', kind: 'passed', label: 'passed' }
  if (cell.status === 'failed') return { symbol: '✗', kind: 'failed', label: cell.attempts > 1 ? `failed (${cell.attempts} attempts)` : 'failed' }
  if (cell.status === 'todo') return { symbol: '…', kind: 'todo', label: 'todo' }
  return { symbol: '·', kind: 'skipped', label: 'skipped' }
}

/** A confidence as the page prints it: a whole percentage, never 100 % unless it is 1. */
export function percent(confidence: number): string {
  const value = Math.max(0, Math.min(1, confidence)) * 100
  return `${confidence < 1 ? Math.min(99, Math.round(value)) : 100}%`
}

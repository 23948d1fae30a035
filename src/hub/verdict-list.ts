import { ErrorCodes, FlakelineError } from '../errors.js'
import type { HistoryStore } from '../store/history-store.js'
import type { VerdictKind } from '../verdicts/types.js'
import {
  MAX_CLUSTER_MEMBERS,
  MAX_CLUSTERS,
  MAX_VERDICTS,
  PANEL_KINDS,
  STRIP_RUNS,
  VERDICT_ORDER,
  compareVerdicts,
  type VerdictRow,
  type VerdictsAnswer,
} from '../dashboard/verdict-panel.js'

/**
 * How bad a file's rollup (`store.analysis.fileVerdicts()`) is, in `fileVerdictOf`'s order: a file
 * can hold a test of kind K only if its rollup ranks at least as high, so a list of flaky, failing
 * and recovered tests reads only the files that may have them.
 */
const SEVERITY: readonly VerdictKind[] = ['stable', 'new', 'recovered', 'flaky', 'failing']

/** `?kind=flaky,failing` (or `kind=` repeated): the kinds asked for; the panel's kinds when absent. */
export function kindsOf(url: URL): VerdictKind[] {
  const asked = url.searchParams.getAll('kind').flatMap((value) => value.split(',')).map((value) => value.trim())
  if (asked.length === 0) return [...PANEL_KINDS]
  for (const kind of asked) {
    if (!VERDICT_ORDER.includes(kind as VerdictKind)) {
      throw new FlakelineError(ErrorCodes.USAGE, `kind must be one or more of ${VERDICT_ORDER.join(', ')} (comma-separated), got ${JSON.stringify(kind)}`)
    }
  }
  return VERDICT_ORDER.filter((kind) => asked.includes(kind))
}

/** The answer before any analysis (or any store). */
export function noVerdicts(kinds: VerdictKind[]): VerdictsAnswer {
  return { analyses: 0, kinds, tests: [], omitted: 0, clusters: [], clustersOmitted: 0 }
}

/**
 * The stored verdicts of the given kinds, flaky first, the most confident and newest first within a
 * kind, at most `limit`, each with its evidence and outcome strip (its newest {@link STRIP_RUNS}
 * runs, from the test's history window), and the clusters of tests that fail together.
 */
export function verdictList(store: HistoryStore, kinds: VerdictKind[], limit = MAX_VERDICTS): VerdictsAnswer {
  const lowest = Math.min(...kinds.map((kind) => SEVERITY.indexOf(kind)))
  const found = []
  for (const [fileId, rollup] of store.analysis.fileVerdicts()) {
    if (SEVERITY.indexOf(rollup.kind) < lowest) continue
    for (const verdict of store.analysis.verdictsOfFile(fileId)) if (kinds.includes(verdict.verdict)) found.push(verdict)
  }
  const chosen = found.map((verdict) => ({ ...verdict, name: verdict.test })).sort(compareVerdicts).slice(0, limit)
  // One read of each file's tests and path for the strips, however many of its tests are listed.
  const files = new Map<string, { path: string; outcomes: Map<string, VerdictRow['outcomes']> }>()
  const fileOf = (fileId: string) => {
    let file = files.get(fileId)
    if (!file) {
      const outcomes = new Map(store.testsOf(fileId).map((test) => [test.name, test.entries.slice(-STRIP_RUNS).map(({ seq, status, attempts }) => ({ seq, status, attempts }))]))
      file = { path: store.fileHistory(fileId)?.path ?? fileId, outcomes }
      files.set(fileId, file)
    }
    return file
  }
  const tests: VerdictRow[] = chosen.map((verdict) => {
    const file = fileOf(verdict.fileId)
    return {
      fileId: verdict.fileId,
      path: file.path,
      name: verdict.test,
      verdict: verdict.verdict,
      confidence: verdict.confidence,
      flakyProbability: verdict.flakyProbability,
      since: verdict.since,
      expectedAttempts: verdict.expectedAttempts,
      reason: verdict.reason ?? '',
      evidence: verdict.evidence.map(({ signal, value, detail, contribution }) => ({ signal, value, detail, contribution })),
      outcomes: file.outcomes.get(verdict.test) ?? [],
    }
  })
  const clusters = store.analysis.clusters()
  return {
    analyses: store.analysis.model()?.runs ?? 0,
    kinds,
    tests,
    omitted: found.length - tests.length,
    clusters: clusters.slice(0, MAX_CLUSTERS).map((cluster) => ({
      id: cluster.id,
      similarity: cluster.similarity,
      detail: cluster.detail,
      tests: cluster.tests.slice(0, MAX_CLUSTER_MEMBERS).map((member) => ({ fileId: member.fileId, name: member.test })),
      omitted: Math.max(0, cluster.tests.length - MAX_CLUSTER_MEMBERS),
    })),
    clustersOmitted: Math.max(0, clusters.length - MAX_CLUSTERS),
  }
}

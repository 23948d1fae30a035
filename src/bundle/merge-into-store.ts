import type { RunRecord } from '../records.js'
import type { HistoryStore, ImportedRun } from '../store/history-store.js'
import type { Bundle, BundleRun } from './bundle-validate.js'
import { runUid } from './export-runs.js'
import { fingerprintsOf, foldFiles, groupParts, mergedRun, mergedRunId, type PartGroup, type RecordedTwice } from './merge-runs.js'

/** A job whose parts did not split alike or ran a file twice. */
export interface Disagreement {
  run: string
  seq: number
  job: string | null
  /** The parts' split fingerprints; more than one when they split from different plans or histories. */
  fingerprints: string[]
  /** Files recorded by more than one part; the first part's record (in shard order) is kept. */
  recordedTwice: RecordedTwice[]
  /** When fingerprints differ: files of the store's previous run that no part ran (possibly skipped). */
  possiblySkipped: string[]
}

/** What `flakeline merge` did. */
export interface MergeReport {
  /** Runs made, or joined by more parts of their job (`joined`), with the parts and file results added. */
  runs: Array<{ id: string; seq: number; job: string | null; joined: boolean; parts: number; files: number }>
  /** Ids of the bundles' runs already in the store (merged before, or recorded here). */
  skipped: string[]
  disagreements: Disagreement[]
}

interface Planned {
  group: PartGroup
  base: RunRecord | null
  run: ImportedRun
  disagreement: Omit<Disagreement, 'seq' | 'run'> | null
}

function fileIds(records: ReadonlyArray<{ fileId: string }>): Set<string> {
  return new Set(records.map((record) => record.fileId))
}

/**
 * Folds bundles into `store` without duplicating runs: a run whose uid the store has (as a run or
 * as a part of a merged run) is skipped, so merging a bundle twice changes nothing. The shards of
 * one job become one run; more shards of a job merged earlier join that run under its seq. New
 * runs go through `importRuns` and joins through `addToRun`, so windows and the plan index stay
 * right. The store's export marker moves to its newest run.
 */
export async function mergeBundles(store: HistoryStore, bundles: readonly Bundle[]): Promise<MergeReport> {
  const existing = store.listRuns()
  const known = new Set(existing.flatMap((run) => [runUid(run), ...(run.parts ?? []).map((part) => part.uid)]))
  const mergedJobs = new Map(existing.flatMap((run) => (run.parts && run.job !== undefined ? [[run.job, run] as const] : [])))
  const ids = new Set(existing.map((run) => run.id))
  const skipped: string[] = []
  const incoming: BundleRun[] = []
  for (const entry of bundles.flatMap((bundle) => bundle.runs)) {
    if (known.has(entry.run.uid)) skipped.push(entry.run.id)
    else {
      known.add(entry.run.uid)
      incoming.push(entry)
    }
  }

  // Files of the run before each new one, for "possibly skipped": the store's latest, then each new run in turn.
  let previous: (() => Set<string>) | null = existing.length ? () => fileIds(store.recordsOfRun(existing[existing.length - 1]!.seq)) : null
  const planned: Planned[] = []
  for (const group of groupParts(incoming)) {
    const base = group.job !== null ? (mergedJobs.get(group.job) ?? null) : null
    const stored = new Map(base ? store.recordsOfRun(base.seq).map((record) => [record.fileId, `run ${base.id} (merged earlier)`] as const) : [])
    const { kept, dropped, recordedTwice } = foldFiles(stored, group.parts)
    const fingerprints = fingerprintsOf([...(base?.parts ?? []), ...group.parts.map((part) => part.run)])
    let possiblySkipped: string[] = []
    const before = base ? existing.filter((run) => run.seq < base.seq).at(-1) : undefined
    const previousFiles = base ? (before ? () => fileIds(store.recordsOfRun(before.seq)) : null) : previous
    if (fingerprints.length > 1 && previousFiles) {
      const ran = new Set([...stored.keys(), ...kept.map((file) => file.fileId)])
      possiblySkipped = Array.from(previousFiles()).filter((file) => !ran.has(file)).sort()
    }
    const id = base ? base.id : mergedRunId(group, ids)
    ids.add(id)
    const disagreement = fingerprints.length > 1 || recordedTwice.length > 0 ? { job: group.job, fingerprints, recordedTwice, possiblySkipped } : null
    planned.push({ group, base, run: { run: mergedRun(base, group.parts.map((part) => part.run), dropped, id), files: kept }, disagreement })
    if (!base) {
      const files = fileIds(kept)
      previous = () => files
    }
  }

  const created = await store.importRuns(planned.filter((entry) => !entry.base).map((entry) => entry.run))
  const report: MergeReport = { runs: [], skipped, disagreements: [] }
  let next = 0
  for (const entry of planned) {
    let seq: number
    if (entry.base) {
      seq = entry.base.seq
      await store.addToRun({ ...entry.run.run, seq }, entry.run.files)
    } else seq = created[next++]!.seq
    const { id, job } = entry.run.run
    report.runs.push({ id, seq, job: job ?? null, joined: entry.base !== null, parts: entry.group.parts.length, files: entry.run.files.length })
    if (entry.disagreement) report.disagreements.push({ run: id, seq, ...entry.disagreement })
  }
  // The merging store is the one CI caches, and shards restore copies of it: the export marker moves
  // past everything it holds, so a copy exports only what it records itself.
  const last = Math.max(0, ...existing.map((run) => run.seq), ...created.map((run) => run.seq))
  if (last > store.exportedThrough()) await store.markExported(last)
  return report
}

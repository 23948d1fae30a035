import type { DeadlineReport, FileRecord, RunPart, RunRecord, RunStatus, ShardInfo, SplitInfo, WorkerStartup } from '../records.js'
import type { NewRun } from '../store/history-store.js'
import type { BundleRun } from './bundle-validate.js'
import { runTotals } from '../evidence/outcomes.js'

type FileResult = Omit<FileRecord, 'runSeq'>
type PartRun = BundleRun['run']

/** The runs of one job (or one run without a job), to be folded into one run of the merged history. */
export interface PartGroup {
  job: string | null
  /** In shard order. */
  parts: BundleRun[]
}

/** A file two or more parts of one job recorded, and who recorded it. */
export interface RecordedTwice {
  file: string
  by: string[]
}

/**
 * Shard order: shard index (an unsharded run first), then start, then uid, so every merge of the
 * same parts keeps the same one when two recorded a file and numbers them alike.
 */
export function partOrder(a: { shard: ShardInfo | null; startedAt: number; uid: string }, b: typeof a): number {
  return (a.shard?.index ?? 0) - (b.shard?.index ?? 0) || a.startedAt - b.startedAt || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0)
}

/**
 * Groups runs into merged runs: the shards of one CI job share `job` and become one run; a run
 * without a job is its own group. Groups come oldest first, so the merged runs get seqs in the
 * order they ran.
 */
export function groupParts(runs: readonly BundleRun[]): PartGroup[] {
  const groups = new Map<string, PartGroup>()
  for (const entry of runs) {
    const key = entry.run.job !== undefined ? `job:${entry.run.job}` : `uid:${entry.run.uid}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { job: entry.run.job ?? null, parts: [] }))
    group.parts.push(entry)
  }
  const start = (group: PartGroup) => Math.min(...group.parts.map((part) => part.run.startedAt))
  return Array.from(groups.values(), (group) => ({ ...group, parts: group.parts.sort((a, b) => partOrder(a.run, b.run)) })).sort((a, b) => start(a) - start(b))
}

/** How reports name a part: its shard and uid. */
export function partLabel(run: { shard: ShardInfo | null; uid: string }): string {
  return run.shard ? `shard ${run.shard.index}/${run.shard.count} (${run.uid})` : `run ${run.uid}`
}

/**
 * The files of a group's parts, each once: a file recorded by two parts of one job (shards that
 * split differently, a shard job run twice) keeps the first part's record, in shard order, or the
 * one already in the store (`stored`: file id → who recorded it). The others are dropped and listed.
 */
export function foldFiles(stored: ReadonlyMap<string, string>, parts: readonly BundleRun[]): { kept: FileResult[]; dropped: FileResult[]; recordedTwice: RecordedTwice[] } {
  const by = new Map<string, string[]>(Array.from(stored, ([file, label]) => [file, [label]]))
  const kept: FileResult[] = []
  const dropped: FileResult[] = []
  for (const part of parts) {
    for (const file of part.files) {
      const labels = by.get(file.fileId)
      if (labels) {
        labels.push(partLabel(part.run))
        dropped.push(file)
      } else {
        by.set(file.fileId, [partLabel(part.run)])
        kept.push(file)
      }
    }
  }
  const recordedTwice = Array.from(by, ([file, labels]) => ({ file, by: labels })).filter((entry) => entry.by.length > 1)
  return { kept, dropped, recordedTwice }
}

/** The distinct split fingerprints of a job's parts; more than one means the shards did not split alike. */
export function fingerprintsOf(parts: ReadonlyArray<{ split?: SplitInfo | null }>): string[] {
  return Array.from(new Set(parts.flatMap((part) => (part.split ? [part.split.fingerprint] : [])))).sort()
}

/**
 * A merged run's id: the job's key when it is the user's `runId` or the CI job's identity (what
 * people look for), else the first part's id; `taken` ids get `~2`, `~3`, ... so ids stay unique.
 */
export function mergedRunId(group: PartGroup, taken: ReadonlySet<string>): string {
  const job = group.job
  const base = job !== null && !job.startsWith('local-') ? job : group.parts[0]!.run.id
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}~${n}`
  return id
}

/** How a merged run remembers one of its parts. */
export function runPartOf(run: PartRun): RunPart {
  return { uid: run.uid, id: run.id, shard: run.shard, split: run.split ?? null, files: run.files, startedAt: run.startedAt, endedAt: run.endedAt }
}

const COUNTS = ['files', 'tests', 'passed', 'failed', 'skipped', 'todo', 'flaky'] as const
type Counts = Record<(typeof COUNTS)[number], number>

/** What dropped duplicate records counted in their run, by the recorder's rules. */
function countsOf(files: readonly FileResult[]): Counts {
  return runTotals(files)
}

/** A merged run failed if any part failed, else was interrupted if any part was, else passed. */
function statusOf(statuses: readonly RunStatus[]): RunStatus {
  if (statuses.includes('failed')) return 'failed'
  return statuses.includes('interrupted') ? 'interrupted' : 'passed'
}

function median(values: readonly number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Each shard measured its own workers' start-up; the merged run keeps the median of what they measured. */
function startupOf(runs: ReadonlyArray<{ startup?: WorkerStartup }>): WorkerStartup | undefined {
  const measured = runs.flatMap((run) => (run.startup ? [run.startup] : []))
  if (measured.length === 0) return undefined
  return { perWorkerMs: median(measured.map((startup) => startup.perWorkerMs)), perFileMs: median(measured.map((startup) => startup.perFileMs)) }
}

function deadlinesOf(runs: ReadonlyArray<{ deadlines?: DeadlineReport }>): DeadlineReport | undefined {
  const reports = runs.flatMap((run) => (run.deadlines ? [run.deadlines] : []))
  if (reports.length === 0) return undefined
  return { checked: reports.reduce((sum, report) => sum + report.checked, 0), missed: reports.flatMap((report) => report.missed) }
}

/**
 * The record of a merged run: `base` (the run an earlier merge made for this job, or null) with
 * `parts` added. Counts are the parts' sums less what `dropped` duplicates counted; it started
 * when its first part started and ended when its last ended; workers add up; `shard` is null and
 * `parts` lists every part in shard order; worker start-up is the median of the parts'. Identity
 * (runner, commit, uid) is the base's, else the first part's.
 */
export function mergedRun(base: RunRecord | null, parts: readonly PartRun[], dropped: readonly FileResult[], id: string): NewRun {
  const first = base ?? parts[0]!
  const all: ReadonlyArray<Omit<RunRecord, 'seq'>> = base ? [base, ...parts] : parts
  const counts = Object.fromEntries(COUNTS.map((key) => [key, all.reduce((sum, run) => sum + run[key], 0)])) as Counts
  const less = countsOf(dropped)
  for (const key of COUNTS) counts[key] = Math.max(0, counts[key] - less[key])
  const startedAt = Math.min(...all.map((run) => run.startedAt))
  const ends = all.flatMap((run) => (run.endedAt === null ? [] : [run.endedAt]))
  const endedAt = ends.length ? Math.max(...ends) : null
  const record: NewRun = {
    id,
    runner: first.runner,
    runnerVersion: first.runnerVersion,
    flakelineVersion: first.flakelineVersion,
    startedAt,
    endedAt,
    code: first.code,
    shard: null,
    workers: all.reduce((sum, run) => sum + run.workers, 0),
    status: statusOf(all.map((run) => run.status)),
    ...counts,
    durationMs: endedAt === null ? Math.max(...all.map((run) => run.durationMs)) : Math.max(0, endedAt - startedAt),
    uid: first.uid ?? parts[0]!.uid,
    parts: [...(base?.parts ?? []), ...parts.map(runPartOf)].sort(partOrder),
  }
  const deadlines = deadlinesOf(all)
  if (deadlines) record.deadlines = deadlines
  const startup = startupOf(all)
  if (startup) record.startup = startup
  // Shards test one commit from alike checkouts: the first one's work tree stands for the job's.
  if (first.changedFiles) record.changedFiles = first.changedFiles
  const job = base ? base.job : parts[0]!.job
  if (job !== undefined) record.job = job
  return record
}

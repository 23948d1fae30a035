import { randomInt } from 'node:crypto'
import { relative } from 'node:path'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { loadOptions, type ResolvedOptions } from '../config/load-options.js'
import { HistoryStore } from '../store/history-store.js'
import { ensureSound } from '../store/store-soundness.js'
import type { FileVerdict } from '../store/analysis-store.js'
import { STARTUP_RUNS, predictedStartup } from './worker-startup.js'
import type { RunRecord, WorkerStartup } from '../records.js'
import { NO_EVIDENCE, type EvidenceLookup } from '../scheduling/file-evidence.js'
import { suiteModel, type SuiteModel } from '../scheduling/failure-model.js'
import { compileScheduleRules, scheduleOf, type FileSchedule } from '../scheduling/file-schedule.js'
import { describeDuration } from '../scheduling/duration-text.js'
import { planFiles } from '../scheduling/plan-files.js'
import type { Plan, PlanFile } from '../scheduling/plan-types.js'
import { balanceShards, type ShardSplit } from '../scheduling/shards.js'
import { joinLocalJob, type LocalJob } from '../sharding/local-job.js'
import { makeShardPlan, readShardPlan, shardOf, type ShardPlan } from '../sharding/shard-plan.js'
import { publishChanges, publishSplit, type SplitDecision } from './run-handoff.js'
import { inCi } from './job-identity.js'
import { changedPaths, classifyChanges, type ChangeOfFile } from './changed-files.js'
import { Notices } from './notices.js'
import { PRAGMA_FILE_LIMIT, pathInsideRoot, readPragmas } from './read-pragmas.js'
import { safeText } from '../cli/format.js'

/** The schedule of a file no rule or pragma speaks about. */
const NORMAL: FileSchedule = { priority: 'normal', prioritySource: null, deadlineMs: null, deadlineSource: null }

/** One notice stream per process, so "using the default order" is said once even in watch mode. */
const processNotices = new Notices()

export interface PlanRequest {
  /** The package root (see `findPackageRoot`): the store and config file are found there. */
  root: string
  /** Identities of the files to order (`fileIdOf`). */
  fileIds: readonly string[]
  /** Paths relative to the root, parallel to `fileIds`, for globs and pragmas. Default: the ids. */
  paths?: readonly string[]
  /** Workers the runner will use (the `workers` option wins). Default 1. */
  workers?: number
  /** Said once when `workers` is a guess and the `workers` option is not set. */
  workersNote?: string
  /** Options given in code (the sequencer factory's argument). */
  inline?: unknown
  /** Runner name for messages. */
  runner: string
  notices?: Notices
  /** Write each file's reason into the plan (the runners do not need them; default false). */
  explain?: boolean
}

export interface ShardRequest extends PlanRequest {
  /** 1-based, like `--shard=2/4`. */
  shardIndex: number
  shardCount: number
}

/** Everything a plan or a shard split reads from history, and the options it was read with. */
interface Loaded {
  options: ResolvedOptions
  evidence: EvidenceLookup
  /** The suite model of every file in the store. */
  suite: SuiteModel
  /** Paths changed since the last recorded run (git), when asked for; null outside git. */
  changes: Promise<Set<string> | null> | null
  /** What the evidence was read from: the newest run's sequence number and id. */
  basis: ShardPlan['basis']
  /** What starting workers will likely cost (from the newest runs that measured it). */
  startup: WorkerStartup | null
  /** Each file's worst test verdict from the last analysis. */
  verdicts: ReadonlyMap<string, FileVerdict>
}

/**
 * Options, then the store's evidence (empty without history: the caller says so). Null (after one
 * notice) when the runner's default should be used: flakeline disabled or the store unusable.
 * Rejects only in strict mode.
 */
async function loadHistory(request: PlanRequest, notices: Notices, what: 'order' | 'sharding'): Promise<Loaded | null> {
  const gitChanges = (options: ResolvedOptions, last: RunRecord | undefined): Loaded['changes'] =>
    what === 'order' && options.gitChanges ? changedPaths(request.root, last ? { commit: last.code.commit, changedFiles: last.changedFiles } : null) : null
  const { options, problems } = await loadOptions(request.root, request.inline)
  for (const problem of problems) {
    if (options.strict) throw problem
    notices.warn(problem)
  }
  if (!options.enabled) return null
  if (!HistoryStore.exists(options.dir)) return { options, evidence: new Map(), suite: suiteModel([]), changes: null, basis: { runs: 0, lastRun: null }, startup: null, verdicts: new Map() }
  let store: HistoryStore | undefined
  try {
    // Planning only reads: a read-only store (a read-only mount, a cache another user owns) still orders the run.
    await ensureSound(options.dir)
    // Vitest's recorder (same process, same check) may open the store for writing before or while this
    // reads: `besideWriters` opens it as the recorder does, where the file is writable, so either order works.
    store = HistoryStore.open(options.dir, { historyLimit: options.historyLimit, readOnly: true, besideWriters: true })
    // git runs in child processes while this process unpacks the evidence.
    const recent = store.recentRuns(2 * STARTUP_RUNS)
    const latest = recent[0]
    const changes = gitChanges(options, latest)
    const index = store.readPlanIndex()
    const verdicts = what === 'order' ? store.analysis.fileVerdicts() : new Map<string, FileVerdict>()
    return { options, evidence: index, suite: index.suite, changes, basis: { runs: latest?.seq ?? 0, lastRun: latest?.id ?? null }, startup: predictedStartup(recent), verdicts }
  } catch (error) {
    const cause = asFlakelineError(error, ErrorCodes.SEQUENCER, 'unexpected failure')
    const detail = cause.code === ErrorCodes.SEQUENCER ? cause.message : `${cause.code}: ${cause.message}`
    const wrapped = new FlakelineError(ErrorCodes.SEQUENCER, `cannot plan the ${what} (${detail}); using ${request.runner}'s default ${what}`, { cause })
    if (options.strict) throw wrapped
    notices.warn(wrapped)
    return null
  } finally {
    await store?.close()
  }
}

/** The planner's view of each requested file: evidence, schedule (config globs and pragmas), change. */
export function planFilesOf(
  request: Pick<PlanRequest, 'root' | 'fileIds' | 'paths'>,
  options: Pick<ResolvedOptions, 'deadlines' | 'priorities'>,
  evidence: EvidenceLookup,
  changes: ReadonlyArray<ChangeOfFile | null> | null,
  notices: Notices,
  verdicts: ReadonlyMap<string, FileVerdict> = new Map(),
): PlanFile[] {
  const rules = compileScheduleRules(options)
  const paths = request.paths ?? request.fileIds
  const readFiles = request.fileIds.length <= PRAGMA_FILE_LIMIT
  if (!readFiles) notices.infoOnce(`${request.fileIds.length} files: @flakeline-* pragmas are read only in suites of up to ${PRAGMA_FILE_LIMIT} files; config globs still apply`)
  const anyRules = rules.priorities.length > 0 || rules.deadlines.length > 0
  const files = new Array<PlanFile>(request.fileIds.length)
  const outside: string[] = []
  for (let i = 0; i < files.length; i++) {
    const fileId = request.fileIds[i]!
    const path = paths[i] ?? fileId
    const absolute = readFiles ? pathInsideRoot(request.root, path) : null
    if (readFiles && absolute === null) outside.push(path)
    const pragmas = absolute === null ? null : readPragmas(absolute)
    for (const problem of pragmas?.problems ?? []) notices.warn(new FlakelineError(ErrorCodes.PRAGMA, `${safeText(path, 200)} ${problem}`))
    const schedule = anyRules || pragmas ? scheduleOf(path, rules, pragmas) : NORMAL
    files[i] = {
      fileId,
      evidence: evidence.get(fileId) ?? NO_EVIDENCE,
      priority: schedule.priority,
      prioritySource: schedule.prioritySource,
      deadlineMs: schedule.deadlineMs,
      deadlineSource: schedule.deadlineSource,
      change: changes?.[i]?.kind ?? null,
      changeReason: changes?.[i]?.because ?? null,
      verdict: verdicts.get(fileId) ?? null,
    }
  }
  if (outside.length) {
    // A path from an import or a copied store that leads outside the project is planned, never opened.
    const more = outside.length > 1 ? ` and ${outside.length - 1} more` : ''
    notices.warn(new FlakelineError(ErrorCodes.PRAGMA, `${outside.length} planned file path${outside.length === 1 ? ' leads' : 's lead'} outside the package root, so ${outside.length === 1 ? 'its' : 'their'} pragmas were not read: ${JSON.stringify(safeText(outside[0]!, 80))}${more}`))
  }
  return files
}

function announce(plan: Plan, notices: Notices): void {
  if (plan.seed !== null) notices.info(`shuffled with seed ${plan.seed}; FLAKELINE_SEED=${plan.seed} repeats this order`)
  if (plan.misses.length === 0) return
  const shown = plan.misses.slice(0, 5).map((miss) => `${miss.fileId} (deadline ${describeDuration(miss.deadlineMs)}, predicted finish ${describeDuration(miss.finishMs)})`)
  const more = plan.misses.length > shown.length ? ` and ${plan.misses.length - shown.length} more` : ''
  notices.info(`${plan.misses.length} deadline${plan.misses.length === 1 ? '' : 's'} predicted to be missed on ${plan.workers} worker${plan.workers === 1 ? '' : 's'}: ${shown.join(', ')}${more}`)
}

/**
 * The runner-neutral core of both sequencers' `sort`. Returns the plan, or null when the runner's
 * default order should be used (policy `default`, no history, flakeline disabled, or the store
 * unusable: then it says why once). Without history, priorities and deadlines still apply when a
 * file has one (a critical file should run first on the very first run too): the plan is then
 * `priority`, which keeps the default rule for everything else. Rejects only in strict mode.
 */
export async function planRun(request: PlanRequest): Promise<Plan | null> {
  const notices = request.notices ?? processNotices
  const loaded = await loadHistory(request, notices, 'order')
  if (!loaded || loaded.options.policy === 'default') return null
  const { options, evidence, suite } = loaded
  if (request.workersNote && options.workers === undefined) notices.infoOnce(request.workersNote)
  const paths = request.paths ?? request.fileIds
  const noHistory = evidence.size === 0
  const changed = noHistory ? null : await loaded.changes
  if (changed) publishChanges(request.root, changed)
  const files = planFilesOf(request, options, evidence, changed ? classifyChanges(paths, changed) : null, notices, loaded.verdicts)
  if (noHistory) {
    const scheduled = files.some((file) => file.priority !== 'normal' || file.deadlineMs !== null)
    notices.info(`no history yet in ${options.dir}; using ${request.runner}'s default order this run${scheduled ? ', with priorities and deadlines applied' : ''}`)
    if (!scheduled) return null
  }
  const plan = planFiles(files, {
    policy: noHistory ? 'priority' : options.policy,
    workers: options.workers ?? request.workers ?? 1,
    seed: options.seed ?? randomInt(0, 2 ** 32 - 1),
    suite,
    explain: request.explain ?? false,
    startup: loaded.startup,
    flakyPlacement: options.flakyPlacement,
  })
  announce(plan, notices)
  return plan
}

/**
 * The split balanced by predicted duration, each file counted with the start-up it pays (a shard
 * of many short files pays more of it). Used by the shards' job plans and `flakeline plan`.
 */
export function balancedSplit(fileIds: readonly string[], evidence: EvidenceLookup, count: number, startup: WorkerStartup | null): ShardSplit {
  const perFileMs = startup?.perFileMs ?? 0
  return balanceShards(
    fileIds.map((fileId) => {
      const predictedMs = evidence.get(fileId)?.predictedMs ?? null
      return { fileId, predictedMs: predictedMs === null ? null : predictedMs + perFileMs }
    }),
    count,
  )
}

/** The split a shard uses: its files, or null for the runner's own split; and what to record of it. */
export interface ShardDecision {
  fileIds: string[] | null
  split: SplitDecision
}

/**
 * The plan a local job freezes for all its shards: balanced by predicted duration from the store as
 * it is now, or a fallback (every shard then uses the runner's split) without history.
 */
async function planFromStore(request: ShardRequest, notices: Notices): Promise<ShardPlan> {
  const loaded = await loadHistory(request, notices, 'sharding')
  if (!loaded) return makeShardPlan(request.shardCount, null, { runs: 0, lastRun: null }, 'the store is unusable (warned above)')
  if (loaded.evidence.size === 0) return makeShardPlan(request.shardCount, null, loaded.basis, `no history yet in ${loaded.options.dir}`)
  return makeShardPlan(request.shardCount, balancedSplit(request.fileIds, loaded.evidence, request.shardCount, loaded.startup), loaded.basis, null)
}

function runnerSplit(request: ShardRequest, notices: Notices, why: string | null): ShardDecision {
  if (why) notices.infoOnce(`shard ${request.shardIndex}/${request.shardCount}: ${request.runner}'s own split (${why})`)
  return { fileIds: null, split: { info: { mode: 'runner', fingerprint: `runner:${request.shardCount}`, filesListed: request.fileIds.length, unplanned: 0 }, job: null } }
}

/** This shard's files under `plan`: every file the plan knows where it says, new files by hash (`unplannedShard`). */
function splitByPlan(request: ShardRequest, plan: ShardPlan, mode: 'plan' | 'job', source: string, notices: Notices, job: LocalJob | null): ShardDecision {
  if (plan.fallback) {
    const decision = runnerSplit(request, notices, `${plan.fallback}; every shard ${mode === 'job' ? 'of this local job' : `reading ${source}`} does the same`)
    return { fileIds: null, split: { ...decision.split, job: job?.job ?? null, ...(job ? { touch: job.touch } : {}) } }
  }
  const fileIds: string[] = []
  let unplanned = 0
  for (const fileId of request.fileIds) {
    const { shard, planned } = shardOf(plan, fileId)
    if (!planned) unplanned++
    if (shard === request.shardIndex) fileIds.push(fileId)
  }
  const loads = plan.predictedMs.map((load) => describeDuration(load)).join(', ')
  const added = unplanned ? `; ${unplanned} file${unplanned === 1 ? '' : 's'} new since the plan, placed by hash` : ''
  notices.infoOnce(`shard ${request.shardIndex}/${request.shardCount}: ${fileIds.length} of ${request.fileIds.length} files from ${source}, balanced by predicted duration (shards ${loads})${added}`)
  return {
    fileIds,
    split: {
      info: { mode, fingerprint: plan.fingerprint, filesListed: request.fileIds.length, unplanned },
      job: job?.job ?? null,
      ...(job ? { touch: job.touch } : {}),
    },
  }
}

/**
 * The runner-neutral core of both sequencers' `shard`. The shards of one run are separate processes
 * that each call it, and the union of their files must be every file exactly once, whatever each
 * one's store holds. So a split depends only on what every shard sees alike:
 * 1. a shard plan file (`shardPlan`, `FLAKELINE_SHARD_PLAN`): every shard reads the same assignment;
 *    one that cannot be read fails the run, since its siblings may be using it;
 * 2. in CI without a plan (each shard on its own machine with its own store): the runner's split;
 * 3. locally: the plan the job's first shard froze in the checkout (`joinLocalJob`), so shards run
 *    one after another never plan from each other's records.
 * The decision is published for the run record (`publishSplit`). Rejects with `FLAKELINE_E_SHARD_PLAN`,
 * and otherwise only in strict mode.
 */
export async function planShard(request: ShardRequest, env: NodeJS.ProcessEnv = process.env): Promise<ShardDecision> {
  const notices = request.notices ?? processNotices
  const decision = await decideShard(request, notices, env)
  publishSplit(request.root, decision.split)
  return decision
}

async function decideShard(request: ShardRequest, notices: Notices, env: NodeJS.ProcessEnv): Promise<ShardDecision> {
  const { options } = await loadOptions(request.root, request.inline)
  if (!options.enabled) return runnerSplit(request, notices, null)
  if (options.shardPlan) {
    let plan: ShardPlan
    try {
      plan = readShardPlan(options.shardPlan)
    } catch (error) {
      const cause = asFlakelineError(error, ErrorCodes.SHARD_PLAN, 'cannot read the shard plan')
      throw new FlakelineError(
        ErrorCodes.SHARD_PLAN,
        `${cause.message}. The other shards may be splitting by this plan, so this shard will not guess a split of its own; fix the plan or unset shardPlan (FLAKELINE_SHARD_PLAN) on every shard`,
        { cause },
      )
    }
    const source = relative(request.root, options.shardPlan) || options.shardPlan
    if (plan.shards !== request.shardCount) {
      return runnerSplit(request, notices, `${source} was made for ${plan.shards} shards, this run has ${request.shardCount}; every shard does the same`)
    }
    return splitByPlan(request, plan, 'plan', source, notices, null)
  }
  if (inCi(env)) {
    return runnerSplit(
      request,
      notices,
      `no shard plan: in CI each shard reads its own store, and splits made from stores that differ could skip files; to balance by duration, give every shard one plan: flakeline plan --shards ${request.shardCount} --out shard-plan.json, then FLAKELINE_SHARD_PLAN=shard-plan.json`,
    )
  }
  const key = [request.root, request.runner, request.shardCount, options.runId ?? ''].join('\0')
  try {
    const job = await joinLocalJob(request.root, key, request.shardIndex, () => planFromStore(request, notices))
    return splitByPlan(request, job.plan, 'job', "this local job's plan", notices, job)
  } catch (error) {
    // Without the shared plan the shards cannot agree on a balanced split; the runner's split is safe.
    const cause = asFlakelineError(error, ErrorCodes.SEQUENCER, 'unexpected failure')
    if (options.strict) throw cause
    notices.warn(new FlakelineError(ErrorCodes.SEQUENCER, `cannot share a shard plan in ${request.root} (${cause.message}); using ${request.runner}'s default sharding`, { cause }))
    return runnerSplit(request, notices, null)
  }
}

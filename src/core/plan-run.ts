import { randomInt } from 'node:crypto'
import { join } from 'node:path'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { loadOptions, type ResolvedOptions } from '../config/load-options.js'
import { HistoryStore } from '../store/history-store.js'
import { NO_EVIDENCE, type EvidenceLookup } from '../scheduling/file-evidence.js'
import { suiteModel, type SuiteModel } from '../scheduling/failure-model.js'
import { compileScheduleRules, scheduleOf, type FileSchedule } from '../scheduling/file-schedule.js'
import { describeDuration } from '../scheduling/duration-text.js'
import { planFiles } from '../scheduling/plan-files.js'
import type { FileChange, Plan, PlanFile } from '../scheduling/plan-types.js'
import { balanceShards, type ShardSplit } from '../scheduling/shards.js'
import { changedPaths, classifyChanges } from './changed-files.js'
import { Notices } from './notices.js'
import { PRAGMA_FILE_LIMIT, readPragmas } from './read-pragmas.js'

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
}

/**
 * Options, then the store's evidence (empty without history: the caller says so). Null (after one
 * notice) when the runner's default should be used: flakeline disabled or the store unusable.
 * Rejects only in strict mode.
 */
async function loadHistory(request: PlanRequest, notices: Notices, what: 'order' | 'sharding'): Promise<Loaded | null> {
  const gitChanges = (options: ResolvedOptions, lastCommit: string | null): Loaded['changes'] =>
    what === 'order' && options.gitChanges ? changedPaths(request.root, lastCommit) : null
  const { options, problems } = await loadOptions(request.root, request.inline)
  for (const problem of problems) {
    if (options.strict) throw problem
    notices.warn(problem)
  }
  if (!options.enabled) return null
  if (!HistoryStore.exists(options.dir)) return { options, evidence: new Map(), suite: suiteModel([]), changes: null }
  let store: HistoryStore | undefined
  try {
    store = HistoryStore.open(options.dir, { historyLimit: options.historyLimit })
    // git runs in child processes while this process unpacks the evidence.
    const changes = gitChanges(options, store.latestRun()?.code.commit ?? null)
    const index = store.readPlanIndex()
    return { options, evidence: index, suite: index.suite, changes }
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
  changes: readonly FileChange[] | null,
  notices: Notices,
): PlanFile[] {
  const rules = compileScheduleRules(options)
  const paths = request.paths ?? request.fileIds
  const readFiles = request.fileIds.length <= PRAGMA_FILE_LIMIT
  if (!readFiles) notices.infoOnce(`${request.fileIds.length} files: @flakeline-* pragmas are read only in suites of up to ${PRAGMA_FILE_LIMIT} files; config globs still apply`)
  const anyRules = rules.priorities.length > 0 || rules.deadlines.length > 0
  const files = new Array<PlanFile>(request.fileIds.length)
  for (let i = 0; i < files.length; i++) {
    const fileId = request.fileIds[i]!
    const path = paths[i] ?? fileId
    const pragmas = readFiles ? readPragmas(join(request.root, path)) : null
    for (const problem of pragmas?.problems ?? []) notices.warn(new FlakelineError(ErrorCodes.PRAGMA, `${path} ${problem}`))
    const schedule = anyRules || pragmas ? scheduleOf(path, rules, pragmas) : NORMAL
    files[i] = {
      fileId,
      evidence: evidence.get(fileId) ?? NO_EVIDENCE,
      priority: schedule.priority,
      prioritySource: schedule.prioritySource,
      deadlineMs: schedule.deadlineMs,
      deadlineSource: schedule.deadlineSource,
      change: changes?.[i] ?? null,
    }
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
  const paths = request.paths ?? request.fileIds
  const noHistory = evidence.size === 0
  const changed = noHistory ? null : await loaded.changes
  const files = planFilesOf(request, options, evidence, changed ? classifyChanges(paths, changed) : null, notices)
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
  })
  announce(plan, notices)
  return plan
}

/**
 * The runner-neutral core of both sequencers' `shard`: the files of shard `shardIndex` of a split
 * balanced by predicted duration, or null for the runner's own hash split (no history, disabled,
 * store unusable). Every machine computes the same split from the same store.
 */
export async function planShard(request: ShardRequest): Promise<{ fileIds: string[]; split: ShardSplit } | null> {
  const notices = request.notices ?? processNotices
  const loaded = await loadHistory(request, notices, 'sharding')
  if (!loaded) return null
  if (loaded.evidence.size === 0) {
    notices.info(`no history yet in ${loaded.options.dir}; using ${request.runner}'s default sharding this run`)
    return null
  }
  const split = balanceShards(
    request.fileIds.map((fileId) => ({ fileId, predictedMs: loaded.evidence.get(fileId)?.predictedMs ?? null })),
    request.shardCount,
  )
  const fileIds = split.shards[request.shardIndex - 1] ?? []
  const loads = split.loads.map((load) => describeDuration(load))
  notices.info(`shard ${request.shardIndex}/${request.shardCount}: ${fileIds.length} of ${request.fileIds.length} files, balanced by predicted duration (shards ${loads.join(', ')})`)
  return { fileIds, split }
}

import { randomInt } from 'node:crypto'
import { writeAside } from '../../core/write-aside.js'
import { isAbsolute, relative, resolve } from 'node:path'
import { findPackageRoot, type ResolvedOptions } from '../../config/load-options.js'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import { formatShardPlan, makeShardPlan, readShardPlan, shardOf, type ShardPlan } from '../../sharding/shard-plan.js'
import { HistoryStore } from '../../store/history-store.js'
import { changedPaths, classifyChanges } from '../../core/changed-files.js'
import { Notices } from '../../core/notices.js'
import { balancedSplit, planFilesOf } from '../../core/plan-run.js'
import { STARTUP_RUNS, predictedStartup } from '../../core/worker-startup.js'
import type { DeadlineMiss } from '../../records.js'
import { describeDuration } from '../../scheduling/duration-text.js'
import { suiteModel } from '../../scheduling/failure-model.js'
import type { FileEvidence } from '../../scheduling/file-evidence.js'
import { planFiles } from '../../scheduling/plan-files.js'
import type { Plan } from '../../scheduling/plan-types.js'
import type { ShardSplit } from '../../scheduling/shards.js'
import { pathOfFileId } from '../../store/plan-index.js'
import { ExitCodes, type CliIO } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs, withStore } from '../command.js'
import { formatDuration, safeText, table } from '../format.js'
import { PLAN_FLAGS, parsePolicy, parseSeed, parseShard, parseShardCount, parseWorkers } from '../plan-flags.js'
import { cliOptions } from '../store-location.js'

const usage =
  'flakeline plan [--json] [--policy P] [--workers K] [--shard i/n] [--seed N] [--dir DIR] [files...]\n       flakeline plan --shards N --out FILE [--dir DIR] [files...]'

/** Known file ids for the paths given on the command line; unknown paths are planned as new files. */
function selectFiles(args: readonly string[], io: CliIO, root: string, evidence: ReadonlyMap<string, FileEvidence>, projects: readonly string[]) {
  const known = Array.from(evidence.keys())
  if (args.length === 0) return { fileIds: known, paths: known.map((id) => pathOfFileId(id, projects)) }
  const byPath = new Map<string, string[]>()
  for (const id of known) {
    const path = pathOfFileId(id, projects)
    byPath.set(path, [...(byPath.get(path) ?? []), id])
  }
  const fileIds: string[] = []
  const paths: string[] = []
  for (const arg of args) {
    const path = (isAbsolute(arg) ? relative(root, arg) : relative(root, `${io.cwd}/${arg}`)).split('\\').join('/')
    const ids = evidence.has(arg) ? [arg] : (byPath.get(path) ?? [path])
    for (const id of ids) {
      if (fileIds.includes(id)) continue
      fileIds.push(id)
      paths.push(path)
    }
  }
  return { fileIds, paths }
}

function planJson(plan: Plan, paths: ReadonlyMap<string, string>, evidence: ReadonlyMap<string, FileEvidence>, split: ShardSplit | null, shard: { index: number; count: number } | null, lastMisses: ReadonlyMap<string, DeadlineMiss>) {
  return {
    policy: plan.policy,
    workers: plan.workers,
    seed: plan.seed,
    shard: shard ? `${shard.index}/${shard.count}` : null,
    predictedMakespanMs: round(plan.predictedMakespanMs),
    misses: plan.misses.map((miss) => ({ file: miss.fileId, deadlineMs: miss.deadlineMs, finishMs: round(miss.finishMs) })),
    order: plan.order.map((file) => ({
      file: file.fileId,
      path: paths.get(file.fileId) ?? file.fileId,
      predictedMs: file.predictedMs === null ? null : round(file.predictedMs),
      p90Ms: evidence.get(file.fileId)?.p90Ms === undefined || evidence.get(file.fileId)?.p90Ms === null ? null : round(evidence.get(file.fileId)!.p90Ms!),
      lastStatus: file.lastStatus,
      priority: file.priority,
      deadlineMs: file.deadlineMs ?? null,
      failureProbability: Math.round((file.failureProbability ?? 0) * 10_000) / 10_000,
      startMs: round(file.startMs ?? 0),
      finishMs: round(file.finishMs ?? 0),
      lastDeadlineMiss: lastMisses.get(file.fileId) ?? null,
      reason: file.reason,
    })),
    shards: split ? split.shards : [plan.order.map((file) => file.fileId)],
    shardPredictedMs: split ? split.loads.map(round) : [round(plan.order.reduce((sum, file) => sum + ((file.finishMs ?? 0) - (file.startMs ?? 0)), 0))],
  }
}

/** The files of `fileIds` per shard under a plan (new files by hash, as the shards place them). */
function splitOfPlan(plan: ShardPlan, fileIds: readonly string[]): ShardSplit {
  const shards: string[][] = Array.from({ length: plan.shards }, () => [])
  for (const fileId of fileIds) shards[shardOf(plan, fileId).shard - 1]!.push(fileId)
  return { shards, loads: plan.predictedMs.length === plan.shards ? plan.predictedMs : shards.map(() => 0) }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

function planText(plan: Plan, split: ShardSplit | null, shard: { index: number; count: number } | null, lastMisses: ReadonlyMap<string, DeadlineMiss>): string {
  const lines: string[] = []
  const where = shard ? `shard ${shard.index}/${shard.count}, ` : ''
  const files = (count: number): string => `${count} file${count === 1 ? '' : 's'}`
  lines.push(`policy ${plan.policy}: ${where}${files(plan.order.length)} on ${plan.workers} worker${plan.workers === 1 ? '' : 's'}, predicted ${describeDuration(plan.predictedMakespanMs)}`)
  if (plan.seed !== null) lines.push(`seed ${plan.seed} (FLAKELINE_SEED=${plan.seed} or --seed ${plan.seed} repeats this order)`)
  if (split) lines.push(`shards by predicted duration: ${split.loads.map((load, i) => `${i + 1}: ${files(split.shards[i]!.length)}, ${describeDuration(load)}`).join('; ')}`)
  for (const miss of plan.misses) lines.push(`predicted deadline miss: ${safeText(miss.fileId, 100)} (deadline ${describeDuration(miss.deadlineMs)}, finishes ~${describeDuration(miss.finishMs)} at p90)`)
  lines.push('')
  const rows = [['#', 'file', 'predicted', 'priority', 'deadline', 'start', 'reason']]
  plan.order.forEach((file, i) => {
    const missed = lastMisses.get(file.fileId)
    const reason = missed ? `${file.reason}; missed its deadline last run (finished ${describeDuration(missed.finishedMs)})` : file.reason
    rows.push([`${i + 1}.`, safeText(file.fileId, 100), formatDuration(file.predictedMs), file.priority ?? 'normal', file.deadlineMs ? describeDuration(file.deadlineMs) : '—', describeDuration(file.startMs ?? 0), reason])
  })
  lines.push(table(rows, new Set([0, 2, 5])))
  return `${lines.join('\n')}\n`
}

/**
 * `--shards N --out FILE`: one split for every shard of a CI job, made once from the store (a store
 * that does not exist yet gives a plan that tells every shard to use the runner's split).
 */
async function writeShardPlan(io: CliIO, options: ResolvedOptions, count: number, out: string, positionals: readonly string[]): Promise<number> {
  const root = findPackageRoot(io.cwd)
  let plan: ShardPlan
  if (!HistoryStore.exists(options.dir)) {
    plan = makeShardPlan(count, null, { runs: 0, lastRun: null }, `no history yet in ${options.dir}`)
  } else {
    plan = await withStore(io, options.dir, (store) => {
      const { evidence, projects } = store.planIndex()
      const recent = store.recentRuns(2 * STARTUP_RUNS)
      const basis = { runs: recent[0]?.seq ?? 0, lastRun: recent[0]?.id ?? null }
      if (evidence.size === 0) return makeShardPlan(count, null, basis, `no history yet in ${options.dir}`)
      const { fileIds } = selectFiles(positionals, io, root, evidence, projects)
      return makeShardPlan(count, balancedSplit(fileIds, evidence, count, predictedStartup(recent)), basis, null)
    })
  }
  const target = resolve(io.cwd, out)
  // Shards may start reading it as soon as it exists: never half a plan.
  await writeAside(target, formatShardPlan(plan))
  const files = Object.keys(plan.assign).length
  const what = plan.fallback
    ? `every shard will use the runner's own split (${plan.fallback})`
    : `${files} files, predicted ${plan.predictedMs.map((ms) => describeDuration(ms)).join(', ')}`
  io.stdout(`shard plan for ${count} shards: ${what}; fingerprint ${plan.fingerprint.slice(0, 12)}; written to ${relative(io.cwd, target) || target}\n`)
  return ExitCodes.OK
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'the order (and shards) the next run gets, with predicted duration, priority, deadline and why; --shards N --out FILE writes a shard plan',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...STORE_OPTIONS, ...PLAN_FLAGS, shard: { type: 'string' }, shards: { type: 'string' }, out: { type: 'string' } }, usage)
    const { options } = await cliOptions(io, values.dir)
    if (values.shards !== undefined || values.out !== undefined) {
      if (values.shards === undefined || values.out === undefined) throw new FlakelineError(ErrorCodes.USAGE, `--shards and --out go together\nusage: ${usage}`)
      if (values.shard !== undefined) throw new FlakelineError(ErrorCodes.USAGE, `--shard shows one shard; --shards N --out FILE writes a plan for all of them\nusage: ${usage}`)
      return writeShardPlan(io, options, parseShardCount(values.shards, usage), values.out, positionals)
    }
    const policy = parsePolicy(values.policy, options.policy, usage)
    const seed = parseSeed(values.seed, options.seed, usage) ?? randomInt(0, 2 ** 32 - 1)
    const shard = parseShard(values.shard, usage)
    const root = findPackageRoot(io.cwd)
    return withStore(io, values.dir, async (store) => {
      const { evidence, projects } = store.planIndex()
      const recent = store.recentRuns(2 * STARTUP_RUNS)
      const latest = recent[0]
      const startup = predictedStartup(recent)
      // Like the runners: the option, else the worker count the last recorded run used.
      const workers = parseWorkers(values.workers, options.workers ?? (latest?.workers || undefined), usage)
      const lastMisses = new Map((latest?.deadlines?.missed ?? []).map((miss) => [miss.fileId, miss]))
      const selected = selectFiles(positionals, io, root, evidence, projects)
      const notices = new Notices({ sink: (line) => io.stderr(`${line}\n`) })
      let request = { root, fileIds: selected.fileIds, paths: selected.paths }
      let split: ShardSplit | null = null
      if (shard) {
        // What the shards will do: the configured shard plan's split, else one balanced from this store.
        const configured = options.shardPlan ? readShardPlan(options.shardPlan) : null
        split =
          configured && configured.shards === shard.count && !configured.fallback
            ? splitOfPlan(configured, request.fileIds)
            : balancedSplit(request.fileIds, evidence, shard.count, startup)
        const kept = new Set(split.shards[shard.index - 1])
        const at = request.fileIds.map((id, i) => (kept.has(id) ? i : -1)).filter((i) => i >= 0)
        request = { root, fileIds: at.map((i) => request.fileIds[i]!), paths: at.map((i) => request.paths[i]!) }
      }
      const changed = options.gitChanges ? await changedPaths(root, latest ? { commit: latest.code.commit, changedFiles: latest.changedFiles } : null) : null
      const files = planFilesOf(request, options, evidence, changed ? classifyChanges(request.paths, changed) : null, notices, store.analysis.fileVerdicts())
      const plan = planFiles(files, { policy, workers, seed, suite: suiteModel(evidence.values()), startup, flakyPlacement: options.flakyPlacement })
      const paths = new Map(request.fileIds.map((id, i) => [id, request.paths[i]!]))
      io.stdout(values.json ? `${JSON.stringify(planJson(plan, paths, evidence, split, shard, lastMisses), null, 2)}\n` : planText(plan, split, shard, lastMisses))
      return ExitCodes.OK
    })
  },
}

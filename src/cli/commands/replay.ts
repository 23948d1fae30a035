import { resolve } from 'node:path'
import { ErrorCodes, FlakelineError } from '../../errors.js'
import { fileDurationOf, fileStatusOf } from '../../history-import/history-run.js'
import { findPackageRoot } from '../../config/load-options.js'
import { readNdjsonHistory } from '../../history-import/ndjson-history.js'
import { fileIdOf } from '../../identity.js'
import { replayHistory, type ReplayRun } from '../../replay/replay-history.js'
import { replayShardBalance } from '../../replay/shard-balance.js'
import type { PolicyName } from '../../scheduling/plan-types.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { parseCommandArgs } from '../command.js'
import { table } from '../format.js'
import { PLAN_FLAGS, parsePolicy, parseSeed, parseShardCount, parseWorkers } from '../plan-flags.js'

const usage = 'flakeline replay [--json] [--policy P] [--workers K] [--seed N] [--shards N] HISTORY.ndjson'

const LABELS: Record<string, string> = {
  default: "runners' default",
  recent: 'recent failures, decayed',
  random: 'random (10 seeds)',
  oracle: 'oracle',
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay an NDJSON history run by run and score the orders (APFD, APFDc, NAPFD, first failure)',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean', default: false }, ...PLAN_FLAGS, shards: { type: 'string' } }, usage)
    if (positionals.length !== 1) throw new FlakelineError(ErrorCodes.USAGE, `name one NDJSON history file\nusage: ${usage}`)
    const policy = parsePolicy(values.policy, 'auto', usage)
    // One worker by default: the metrics score the order as if files ran one after another.
    const workers = parseWorkers(values.workers ?? '1', undefined, usage)
    const seed = parseSeed(values.seed, 1, usage)!
    const shards = values.shards === undefined ? null : parseShardCount(values.shards, usage)
    const runs: ReplayRun[] = []
    for await (const run of readNdjsonHistory(resolve(io.cwd, positionals[0]!), positionals[0], { root: findPackageRoot(io.cwd) })) {
      runs.push({ id: run.id, files: run.files.map((file) => ({ fileId: fileIdOf(file.project, file.path), status: fileStatusOf(file), durationMs: fileDurationOf(file) })) })
    }
    if (values.json) {
      const summary = await replayHistory(runs, { policies: [policy], workers, seed, baselines: false, keepOrders: true })
      io.stdout(`${JSON.stringify({ policy, workers, runs: summary.orders }, null, 2)}\n`)
      return ExitCodes.OK
    }
    const policies = Array.from(new Set<PolicyName>([policy, 'default', 'recent']))
    const summary = await replayHistory(runs, { policies, workers, seed, baselines: true })
    io.stdout(`${summary.runs} runs, ${summary.runsWithFailures} with failures (the metrics average over those); plans for ${workers} worker${workers === 1 ? '' : 's'}\n\n`)
    if (summary.runsWithFailures > 0) {
      const rows = [['order', 'APFD', 'APFDc', 'NAPFD 50%', 'first failure']]
      for (const contender of summary.contenders) {
        rows.push([
          LABELS[contender.name] ?? contender.name,
          contender.apfd.toFixed(3),
          contender.apfdc.toFixed(3),
          contender.napfd.toFixed(3),
          `${(contender.timeToFirstFailureMs / 1000).toFixed(2)} s`,
        ])
      }
      io.stdout(`${table(rows, new Set([1, 2, 3, 4]))}\n`)
    } else io.stdout('no run had a failure, so no order can be scored\n')
    if (shards !== null) {
      const balance = await replayShardBalance(runs, shards)
      io.stdout(
        `\n${shards} shards over ${balance.runs} runs: median makespan ${balance.safe.median.toFixed(3)}× the ideal balanced by predicted duration (p90 ${balance.safe.p90.toFixed(3)}×), ` +
          `${balance.hash.median.toFixed(3)}× with the runners' SHA-1 split (p90 ${balance.hash.p90.toFixed(3)}×)\n`,
      )
    }
    return ExitCodes.OK
  },
}

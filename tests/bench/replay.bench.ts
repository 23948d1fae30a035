// Issue 3 targets, over the real CI histories in ../shared/data/ci-history (converted to NDJSON):
// - `auto` beats the runners' default order and "recent failures first, decayed" on APFDc and on
//   time to first failure on every data set (random and the oracle printed for scale);
// - on 2 and 4 workers (issue 11): `auto`'s makespan next to LPT's and the runners' default order's,
//   as the mean ratio to LPT's over the runs with at least that many files (worst run too), by the
//   plan's model and with the real durations, beside APFDc and the time to the first failure on the
//   workers; the model's worst run must stay within 3% of LPT when no file is likely to fail, 5% else;
// - shards at 4 and 8: median and p90 makespan over the ideal for the safe split (one plan from the
//   history before the run, every shard reading it), the SHA-1 hash split Jest and Vitest use, and
//   the unsafe per-shard split of flakeline before 0.2 (each shard planning from the store its
//   siblings had changed), with how often that one ran a file twice or never (issue 10).
import { performance } from 'node:perf_hooks'
import { readNdjsonHistory } from '../../dist/src/history-import/ndjson-history.js'
import { fileDurationOf, fileStatusOf } from '../../dist/src/history-import/history-run.js'
import { replayHistory, replayOnWorkers, type ContenderSummary, type ReplayRun, type WorkersContender } from '../../dist/src/replay/replay-history.js'
import { replayShardBalance } from '../../dist/src/replay/shard-balance.js'
import { DATA_SETS, ndjsonOf } from './_ci-history.js'
import { report } from './_bench-tools.js'

const SEED = 20261122
const LABELS: Record<string, string> = {
  auto: 'auto (1 worker)',
  auto4: 'auto (4 workers)',
  default: 'runners\' default',
  lpt: 'LPT',
  recent: 'recent failures, decayed',
  wspt: 'wspt',
  random: 'random (10 seeds)',
  oracle: 'oracle',
}

async function loadRuns(path: string): Promise<ReplayRun[]> {
  const runs: ReplayRun[] = []
  for await (const run of readNdjsonHistory(path)) {
    runs.push({ id: run.id, files: run.files.map((file) => ({ fileId: file.path, status: fileStatusOf(file), durationMs: fileDurationOf(file) })) })
  }
  return runs
}

function workersRow(c: WorkersContender, workers: number): string {
  const ratios = (mean: number, worst?: number) => `${mean.toFixed(3)}×${worst === undefined ? '' : ` (worst ${worst.toFixed(3)}×)`}`
  return (
    `| ${(LABELS[c.name] ?? c.name).replace(' (1 worker)', '').padEnd(18)} | ${workers} | ${ratios(c.predictedRatio, c.worstPredictedRatio).padStart(24)} | ` +
    `${ratios(c.replayedRatio).padStart(7)} | ${(c.replayedMs / 1000).toFixed(2).padStart(7)} s | ${c.apfdc.toFixed(3)} | ${(c.timeToFirstFailureMs / 1000).toFixed(2).padStart(6)} s |`
  )
}

function row(name: string, c: ContenderSummary): string {
  const f = (x: number): string => x.toFixed(3)
  return `| ${(LABELS[name] ?? name).padEnd(26)} | ${f(c.apfd)} | ${f(c.apfdc)} | ${f(c.napfd)} | ${(c.timeToFirstFailureMs / 1000).toFixed(2).padStart(8)} s |`
}

for (const dataSet of DATA_SETS) {
  const converted = await ndjsonOf(dataSet)
  const runs = await loadRuns(converted.path)
  const files = runs.reduce((sum, run) => sum + run.files.length, 0)
  const started = performance.now()
  const one = await replayHistory(runs, { policies: ['auto', 'default', 'recent', 'wspt'], workers: 1, seed: SEED, baselines: true })
  const elapsed = performance.now() - started
  const four = await replayHistory(runs, { policies: ['auto'], workers: 4, seed: SEED, baselines: false })
  console.log(`\n### ${dataSet}: ${one.runs} runs, ${(files / one.runs).toFixed(1)} files per run, ${one.runsWithFailures} runs with failures`)
  console.log(`    (replayed ${one.runs} runs with 4 policies, random ×10 and the oracle in ${(elapsed / 1000).toFixed(2)} s)`)
  console.log('| order | APFD | APFDc | NAPFD 50% | first failure |')
  console.log('|---|---|---|---|---|')
  const by = new Map(one.contenders.map((c) => [c.name, c]))
  for (const name of ['auto', 'default', 'recent', 'wspt', 'random', 'oracle']) console.log(row(name, by.get(name)!))
  console.log(row('auto4', four.contenders[0]!))
  const two = await replayOnWorkers(runs, { policies: ['auto', 'lpt', 'default'], workers: 2, seed: SEED })
  const fourWorkers = await replayOnWorkers(runs, { policies: ['auto', 'lpt', 'default'], workers: 4, seed: SEED })
  console.log(
    `\nOn 2 and 4 workers: makespan ÷ LPT's, mean over the runs with at least that many files (${two.runs} and ${fourWorkers.runs}; ` +
      `${two.runsWithLikely} and ${fourWorkers.runsWithLikely} with a file likely to fail), by the plan's model (worst run in brackets) and with the real durations; ` +
      `APFDc and the first failure on the workers over the ${two.runsWithFailures} runs with failures`,
  )
  console.log('| order | workers | makespan ÷ LPT, model | real | mean makespan | APFDc | first failure |')
  console.log('|---|---|---|---|---|---|---|')
  for (const summary of [two, fourWorkers]) for (const c of summary.contenders) console.log(workersRow(c, summary.workers))
  for (const summary of [two, fourWorkers]) {
    const w = summary.workers
    const [autoW, , defaultW] = summary.contenders
    report(`${dataSet}: auto on ${w} workers, worst run with nothing likely, ÷ LPT`, `${summary.autoWorstWithoutLikely.toFixed(3)}×`, '≤ 1.03×', summary.autoWorstWithoutLikely <= 1.03)
    report(`${dataSet}: auto on ${w} workers, worst run with likely failures, ÷ LPT`, `${summary.autoWorstWithLikely.toFixed(3)}×`, '≤ 1.05×', summary.autoWorstWithLikely <= 1.05)
    report(
      `${dataSet}: auto first failure on ${w} workers vs runners' default`,
      `${(autoW!.timeToFirstFailureMs / 1000).toFixed(2)} vs ${(defaultW!.timeToFirstFailureMs / 1000).toFixed(2)} s`,
      'lower',
      autoW!.timeToFirstFailureMs < defaultW!.timeToFirstFailureMs,
    )
  }
  const auto = by.get('auto')!
  for (const baseline of ['default', 'recent']) {
    const other = by.get(baseline)!
    report(`${dataSet}: auto APFDc vs ${LABELS[baseline]}`, `${auto.apfdc.toFixed(3)} vs ${other.apfdc.toFixed(3)}`, 'higher', auto.apfdc > other.apfdc)
    report(
      `${dataSet}: auto first failure vs ${LABELS[baseline]}`,
      `${(auto.timeToFirstFailureMs / 1000).toFixed(2)} vs ${(other.timeToFirstFailureMs / 1000).toFixed(2)} s`,
      'lower',
      auto.timeToFirstFailureMs < other.timeToFirstFailureMs,
    )
  }
  for (const shards of [4, 8]) {
    const balance = await replayShardBalance(runs, shards)
    const figures = (score: { median: number; p90: number }) => `median ${score.median.toFixed(3)}×, p90 ${score.p90.toFixed(3)}×`
    report(`${dataSet}: ${shards} shards, safe split (one plan), makespan / ideal (${balance.runs} runs)`, figures(balance.safe), 'median ≤ 1.10×', balance.safe.median <= 1.1)
    console.log(`      runners' SHA-1 split: ${figures(balance.hash)}`)
    console.log(
      `      unsafe per-shard split (each shard from the store its siblings changed): ${figures(balance.unsafe)}; ` +
        `a file ran twice or never in ${(balance.unsafeBroken * 100).toFixed(0)}% of runs, ${(balance.unsafeSkippedShare * 100).toFixed(1)}% of files never ran`,
    )
  }
}

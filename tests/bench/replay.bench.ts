// Issue 3 targets, over the real CI histories in ../shared/data/ci-history (converted to NDJSON):
// - `auto` beats the runners' default order and "recent failures first, decayed" on APFDc and on
//   time to first failure on every data set (random and the oracle printed for scale);
// - shards balanced by predicted duration: median makespan at 4 shards within 1.10× of the ideal,
//   next to the SHA-1 hash split Jest and Vitest use.
import { performance } from 'node:perf_hooks'
import { readNdjsonHistory } from '../../dist/src/history-import/ndjson-history.js'
import { fileDurationOf, fileStatusOf } from '../../dist/src/history-import/history-run.js'
import { replayHistory, type ContenderSummary, type ReplayRun } from '../../dist/src/replay/replay-history.js'
import { replayShardBalance } from '../../dist/src/replay/shard-balance.js'
import { DATA_SETS, ndjsonOf } from './_ci-history.js'
import { report } from './_bench-tools.js'

const SEED = 20261122
const LABELS: Record<string, string> = {
  auto: 'auto (1 worker)',
  auto4: 'auto (4 workers)',
  default: 'runners\' default',
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
  const balance = await replayShardBalance(runs, 4)
  report(
    `${dataSet}: 4 shards, median makespan / ideal (${balance.runs} runs)`,
    `${balance.balancedMedian.toFixed(3)}×`,
    '≤ 1.10×',
    balance.balancedMedian <= 1.1,
  )
  console.log(`      SHA-1 hash split (the runners' own): ${balance.hashMedian.toFixed(3)}×; balanced within 1.10× in ${(balance.balancedWithin110 * 100).toFixed(0)}% of runs`)
}

// Issue 11: predicted against measured makespan, and each shard's predicted time against its real
// time, on real runners: the repository's Vitest and Jest fixture projects, and a generated suite
// whose files are mostly imports. Each suite learns from 3 runs, then 3 more runs are each planned
// (`flakeline plan --json`, the prediction the sequencer uses) and measured. "Measured" is the
// run's wall time as the reporter records it (run start to end, `durationMs`); the worker phase
// (first file start to last file end, start-up included) is printed beside it. Target: within 25%.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HistoryStore } from '../../dist/src/store/history-store.js'
import { prepareRunners, REPO, runnerDir } from '../../scripts/test-installs.mjs'
import { writeHeavySuite } from '../e2e/_heavy-suite.js'
import { median, report } from './_bench-tools.js'

type Runner = 'vitest4' | 'jest30'

const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', FLAKELINE_GIT_CHANGES: '0', ...extra }
  return clean
}

function run(runner: Runner, dir: string, args: string[], extra: Record<string, string> = {}): void {
  const modules = join(runnerDir(runner), 'node_modules')
  const entry = runner === 'jest30' ? [join(modules, 'jest', 'bin', 'jest.js'), '--ci'] : [join(modules, 'vitest', 'vitest.mjs'), 'run']
  spawnSync(process.execPath, [...entry, ...args], { cwd: dir, env: env(extra), stdio: 'ignore' })
}

function cli(runner: Runner, dir: string, args: string[], extra: Record<string, string> = {}): string {
  return spawnSync(process.execPath, [join(runnerDir(runner), 'node_modules', 'flakeline', 'bin', 'flakeline.js'), ...args], { cwd: dir, env: env(extra), encoding: 'utf8' }).stdout
}

async function lastRun(dir: string, store = join(dir, '.flakeline')) {
  const history = HistoryStore.open(store, { historyLimit: 200, readOnly: true })
  try {
    const run = history.latestRun()!
    const files = history.recordsOfRun(run.seq)
    const first = Math.min(...files.map((file) => file.startedAt - (file.overheadMs ?? 0)))
    const last = Math.max(...files.map((file) => file.startedAt + file.durationMs))
    return { wallMs: run.durationMs, workerPhaseMs: last - first }
  } finally {
    await history.close()
  }
}

function project(runner: Runner, suite: 'fixture' | 'heavy'): string {
  const dir = mkdtempSync(join(runnerDir(runner), 'bench-prediction-'))
  const fixture = runner === 'jest30' ? 'jest-babel' : 'vitest'
  if (suite === 'fixture') cpSync(join(REPO, 'fixtures', 'suite'), dir, { recursive: true })
  cpSync(join(REPO, 'fixtures', fixture), dir, { recursive: true })
  if (suite === 'heavy') writeHeavySuite(dir, 16)
  writeFileSync(join(dir, '.gitignore'), '*\n')
  return dir
}

const WORKERS = ['--maxWorkers=2']

async function measure(runner: Runner, suite: 'fixture' | 'heavy'): Promise<void> {
  const dir = project(runner, suite)
  try {
    for (let i = 0; i < 3; i++) run(runner, dir, WORKERS)
    const ratios: number[] = []
    const phase: number[] = []
    for (let i = 0; i < 3; i++) {
      const plan = JSON.parse(cli(runner, dir, ['plan', '--json', '--workers', '2'])) as { predictedMakespanMs: number }
      run(runner, dir, WORKERS)
      const measured = await lastRun(dir)
      ratios.push(plan.predictedMakespanMs / measured.wallMs)
      phase.push(plan.predictedMakespanMs / measured.workerPhaseMs)
    }
    const worst = ratios.reduce((a, b) => (Math.abs(b - 1) > Math.abs(a - 1) ? b : a))
    report(`${runner} ${suite}: predicted / measured makespan (3 runs)`, `${median(ratios).toFixed(2)}× (worst ${worst.toFixed(2)}×)`, '0.75–1.25×', ratios.every((r) => r >= 0.75 && r <= 1.25))
    console.log(`      against the worker phase only: median ${median(phase).toFixed(2)}×; ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`)
    // Shards: one plan, two shards, each shard's predicted time against its run's wall time.
    cli(runner, dir, ['plan', '--shards', '2', '--out', 'shard-plan.json'])
    const planned = JSON.parse(cli(runner, dir, ['plan', '--json', '--workers', '2', '--shard', '1/2'], { FLAKELINE_SHARD_PLAN: 'shard-plan.json' })) as { shardPredictedMs: number[] }
    const shardRatios: number[] = []
    for (const index of [1, 2]) {
      const store = join(dir, `.flakeline-shard-${index}`)
      cpSync(join(dir, '.flakeline'), store, { recursive: true })
      run(runner, dir, [...WORKERS, `--shard=${index}/2`], { FLAKELINE_SHARD_PLAN: 'shard-plan.json', FLAKELINE_DIR: store })
      const measured = await lastRun(dir, store)
      // A shard's plan load is its files' work; on 2 workers it takes about half, plus start-up.
      const plan = JSON.parse(cli(runner, dir, ['plan', '--json', '--workers', '2', '--shard', `${index}/2`], { FLAKELINE_SHARD_PLAN: 'shard-plan.json' })) as { predictedMakespanMs: number }
      shardRatios.push(plan.predictedMakespanMs / measured.wallMs)
    }
    report(`${runner} ${suite}: each shard predicted / measured (2 shards)`, shardRatios.map((r) => `${r.toFixed(2)}×`).join(', '), '0.75–1.25×', shardRatios.every((r) => r >= 0.75 && r <= 1.25))
    console.log(`      shard loads in the plan: ${planned.shardPredictedMs.map((ms) => `${Math.round(ms)} ms`).join(', ')}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await prepareRunners(['vitest4', 'jest30'])
console.log(`machine load (1-minute average) at start: ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`)
for (const runner of ['vitest4', 'jest30'] as const) {
  for (const suite of ['fixture', 'heavy'] as const) await measure(runner, suite)
}

// Issue 2 targets: planning from 20,000 files × 100 runs of history in under 100 ms, and the
// reporter adding under 5% wall time to a 2,000-test Vitest run. Both against baselines measured here.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HistoryStore } from '../../dist/src/store/history-store.js'
import { planRun } from '../../dist/src/core/plan-run.js'
import { medianMs, median, report } from './_bench-tools.js'

const FILES = 20_000
const RUNS = 100

async function planningBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flakeline-bench-plan-'))
  writeFileSync(join(root, 'package.json'), '{}')
  const dir = join(root, '.flakeline')
  const fileIds = Array.from({ length: FILES }, (_, i) => `packages/p${i % 50}/tests/module-${i}.test.ts`)
  const fill = performance.now()
  const store = HistoryStore.open(dir, { historyLimit: 200 })
  let seed = 42
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
  // Filled through the bulk path `flakeline import` uses; the windows are the same a reporter writes.
  await store.importRuns(
    (function* () {
      for (let r = 0; r < RUNS; r++) {
        const startedAt = Date.UTC(2026, 0, 1) + r * 3_600_000
        yield {
          run: {
            id: `bench-${r}`, runner: 'vitest' as const, runnerVersion: '4', flakelineVersion: 'bench', startedAt, endedAt: startedAt + 60_000,
            code: { commit: null, dirty: false, branch: null, source: 'none' }, shard: null, workers: 2, status: 'passed' as const,
            files: FILES, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0, durationMs: 60_000,
          },
          files: fileIds.map((fileId, i) => ({
            fileId, project: '', path: fileId, status: random() < 0.01 ? ('failed' as const) : ('passed' as const),
            durationMs: 50 + (i % 997) * 3 + random() * 40, startedAt, fileError: null, tests: [],
          })),
        }
      }
    })(),
  )
  await store.close()
  console.log(`history: ${FILES} files × ${RUNS} runs written in ${((performance.now() - fill) / 1000).toFixed(1)} s`)

  // Baseline: what Jest does for the same suite — parse its JSON cache of [failed, duration] per file and sort.
  const cache = JSON.stringify(Object.fromEntries(fileIds.map((id, i) => [`/abs/${id}`, [i % 100 === 0 ? 0 : 1, 50 + (i % 997) * 3]])))
  const baseline = await medianMs(9, () => {
    const parsed = JSON.parse(cache) as Record<string, [number, number]>
    return Object.keys(parsed).sort((a, b) => parsed[a]![0] - parsed[b]![0] || parsed[b]![1] - parsed[a]![1])
  })
  const planning = await medianMs(9, () => planRun({ root, fileIds, runner: 'bench' }))
  report(`plan ${FILES} files × ${RUNS} runs (open store, read, order)`, `${planning.toFixed(1)} ms`, '< 100 ms', planning < 100)
  console.log(`      baseline (Jest-style JSON cache parse + sort) ${baseline.toFixed(1)} ms; ratio ${(planning / baseline).toFixed(2)}×`)
  rmSync(root, { recursive: true, force: true })
}

/**
 * The suite's configs, with flakeline installed in the suite's node_modules as a user has it:
 * loaded from a path outside node_modules, Vitest would bundle and transform every flakeline module
 * through Vite, a cost no installed package pays.
 */
function writeSuite(dir: string, withFlakeline: boolean): void {
  if (withFlakeline) {
    const installed = join(dir, 'node_modules', 'flakeline')
    mkdirSync(installed, { recursive: true })
    for (const entry of ['package.json', 'dist']) cpSync(join(process.cwd(), entry), join(installed, entry), { recursive: true })
  }
  writeFileSync(
    join(dir, withFlakeline ? 'with.config.mjs' : 'without.config.mjs'),
    [
      // A reporter instance, not the string 'flakeline/vitest': Vitest resolves reporter names from
      // its own location, which inside this repository is flakeline itself, outside node_modules.
      withFlakeline ? "import FlakelineReporter, { FlakelineSequencer } from 'flakeline/vitest'" : '',
      'export default { test: {',
      "  globals: true, include: ['tests/**/*.test.js'],",
      withFlakeline ? "  reporters: ['default', new FlakelineReporter()], sequence: { sequencer: FlakelineSequencer }," : "  reporters: ['default'],",
      '} }',
    ].join('\n'),
  )
}

/** CPU time (user + system) of this process's finished children and their descendants, from /proc; NaN elsewhere. */
function childrenCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ')
    // After the command name: field 3 is state, so cutime and cstime (fields 16 and 17) are at 13 and 14.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

async function reporterOverheadBench(): Promise<void> {
  const cacheDir = join(process.cwd(), 'node_modules', '.cache')
  mkdirSync(cacheDir, { recursive: true })
  const dir = mkdtempSync(join(cacheDir, 'flakeline-bench-suite-'))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }')
  mkdirSync(join(dir, 'tests'))
  for (let f = 0; f < 40; f++) {
    const tests = Array.from({ length: 50 }, (_, t) => `  describe('group ${t % 5}', () => { test('case ${t}', () => { expect(${t} + ${f}).toBe(${t + f}) }) })`)
    writeFileSync(join(dir, 'tests', `file-${f}.test.js`), `describe('file ${f}', () => {\n${tests.join('\n')}\n})\n`)
  }
  writeSuite(dir, true)
  writeSuite(dir, false)
  const vitest = join(process.cwd(), 'node_modules', 'vitest', 'vitest.mjs')
  const runOnce = (config: string): { wall: number; cpu: number } => {
    const cpuBefore = childrenCpuMs()
    const start = performance.now()
    const result = spawnSync(process.execPath, [vitest, 'run', '--config', config], {
      cwd: dir, stdio: 'ignore', env: { ...process.env, FLAKELINE_DIR: join(dir, '.flakeline'), FLAKELINE_QUIET: '1' },
    })
    if (result.status !== 0) throw new Error(`vitest exited with ${result.status} for ${config}`)
    return { wall: performance.now() - start, cpu: childrenCpuMs() - cpuBefore }
  }
  runOnce('without.config.mjs')
  runOnce('with.config.mjs')
  const without: Array<{ wall: number; cpu: number }> = []
  const withFlakeline: Array<{ wall: number; cpu: number }> = []
  // Interleaved, so machine load drifts affect both sides alike.
  for (let i = 0; i < 7; i++) {
    without.push(runOnce('without.config.mjs'))
    withFlakeline.push(runOnce('with.config.mjs'))
  }
  const wall = (runs: typeof without) => median(runs.map((run) => run.wall))
  const cpu = (runs: typeof without) => median(runs.map((run) => run.cpu))
  const ratio = wall(withFlakeline) / wall(without)
  report('2,000-test Vitest run with flakeline / without (medians of 7)', `${ratio.toFixed(3)}×`, '< 1.05×', ratio < 1.05)
  console.log(`      without ${wall(without).toFixed(0)} ms, with reporter + sequencer ${wall(withFlakeline).toFixed(0)} ms (wall)`)
  if (Number.isFinite(cpu(without))) {
    // CPU time of vitest and its workers: what flakeline adds, less blurred by other load on the machine than wall time.
    console.log(`      CPU time: without ${cpu(without).toFixed(0)} ms, with ${cpu(withFlakeline).toFixed(0)} ms; ratio ${(cpu(withFlakeline) / cpu(without)).toFixed(3)}×`)
  }
  rmSync(dir, { recursive: true, force: true })
}

await planningBench()
await reporterOverheadBench()

// Issue 3 target: planning 50,000 files with 100 runs of history each in under 200 ms — the
// sequencer's path (open the store, read the plan index, resolve schedules and changes, order with
// `auto`, simulate the run) and `flakeline plan --json` in-process — against a baseline measured
// here: what Jest does for the same suite (parse its JSON cache of [failed, duration] and sort).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HistoryStore, type ImportedRun } from '../../dist/src/store/history-store.js'
import { planRun, planShard } from '../../dist/src/core/plan-run.js'
import { Notices } from '../../dist/src/core/notices.js'
import { runCli } from '../../dist/src/cli/main.js'
import { medianMs, report } from './_bench-tools.js'

// Set FLAKELINE_BENCH_STORE to a directory to keep the imported history there and reuse it next time.

const FILES = 50_000
const RUNS = 100

function* history(fileIds: readonly string[]): Generator<ImportedRun> {
  let seed = 42
  const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
  for (let r = 0; r < RUNS; r++) {
    const startedAt = Date.UTC(2026, 0, 1) + r * 3_600_000
    yield {
      run: {
        id: `bench-${r}`, runner: 'import', runnerVersion: 'bench', flakelineVersion: 'bench', startedAt, endedAt: startedAt + 1, code: { commit: null, dirty: false, branch: null, source: 'none' },
        shard: null, workers: 4, status: 'passed', files: fileIds.length, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0, durationMs: 1,
      },
      files: fileIds.map((fileId, i) => ({
        fileId, project: '', path: fileId, status: random() < 0.01 ? ('failed' as const) : ('passed' as const),
        durationMs: 50 + (i % 997) * 3 + random() * 40, startedAt, fileError: null, tests: [],
      })),
    }
  }
}

const kept = process.env.FLAKELINE_BENCH_STORE
const root = kept ?? mkdtempSync(join(tmpdir(), 'flakeline-bench-plan50k-'))
mkdirSync(root, { recursive: true })
writeFileSync(join(root, 'package.json'), '{}')
const dir = join(root, '.flakeline')
const fileIds = Array.from({ length: FILES }, (_, i) => `packages/p${i % 50}/tests/module-${i}.test.ts`)
if (!kept || !HistoryStore.exists(dir)) {
  const fill = performance.now()
  const store = HistoryStore.open(dir, { historyLimit: 200 })
  await store.importRuns(history(fileIds))
  await store.close()
  console.log(`history: ${FILES} files × ${RUNS} runs imported through HistoryStore.importRuns in ${((performance.now() - fill) / 1000).toFixed(1)} s`)
} else console.log(`history: reusing ${dir}`)
// A sequencer plans in a fresh runner process: do not let the import's garbage slow the collector here.
;(globalThis as { gc?: () => void }).gc?.()

const gc = (): void => (globalThis as { gc?: () => void }).gc?.()
const quiet = new Notices({ sink: () => {} })
const first = performance.now()
await planRun({ root, fileIds, runner: 'bench', workers: 4, notices: quiet })
const firstMs = performance.now() - first
gc()
const sequencer = await medianMs(9, () => planRun({ root, fileIds, runner: 'bench', workers: 4, notices: quiet }))
gc()
const cache = JSON.stringify(Object.fromEntries(fileIds.map((id, i) => [`/abs/${id}`, [i % 100 === 0 ? 0 : 1, 50 + (i % 997) * 3]])))
const baseline = await medianMs(9, () => {
  const parsed = JSON.parse(cache) as Record<string, [number, number]>
  return Object.keys(parsed).sort((a, b) => parsed[a]![0] - parsed[b]![0] || parsed[b]![1] - parsed[a]![1])
})
gc()
report(`plan ${FILES} files × ${RUNS} runs, sequencer path (auto, 4 workers)`, `${sequencer.toFixed(1)} ms`, '< 200 ms', sequencer < 200)
console.log(`      baseline (Jest-style JSON cache parse + sort) ${baseline.toFixed(1)} ms; ratio ${(sequencer / baseline).toFixed(2)}×; the first plan in a fresh process (cold JIT) ${firstMs.toFixed(0)} ms`)
const shard = await medianMs(9, () => planShard({ root, fileIds, runner: 'bench', shardIndex: 2, shardCount: 4, notices: quiet }))
report(`shard split of ${FILES} files into 4 (balanced, from history)`, `${shard.toFixed(1)} ms`, '< 200 ms', shard < 200)
gc()
const io = { stdout: () => {}, stderr: () => {}, env: { FLAKELINE_DIR: dir }, cwd: root, isTTY: false }
const cli = await medianMs(5, () => runCli(['plan', '--json', '--workers', '4'], io))
// Not a target: this adds a reason per file and ~15 MB of pretty-printed JSON to the planning above.
console.log(`      flakeline plan --json for ${FILES} files (in-process, reasons and JSON included): ${cli.toFixed(0)} ms`)
if (!kept) rmSync(root, { recursive: true, force: true })

// Issue 13: a soak of consecutive runs of one suite on one store, through the path the runner
// integrations take (the sequencer's `planRun`, then the reporter's `startRecording` → `addFile` →
// `finish`, which records, compacts every 50th run and analyses the run), checking that the store
// stays bounded by the history limit and that planning stays flat; then what checking a store that
// flakeline does not trust costs (`ensureSound` walking it in child processes) against a trusted one
// and against one run's plan, on the soak's store and on a larger one.
//
// Knobs: FLAKELINE_BENCH_SOAK_RUNS (200), FLAKELINE_BENCH_SOAK_LIMIT (historyLimit, 50),
// FLAKELINE_BENCH_SOAK_LARGE=0 skips the larger store.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { planRun } from '../../dist/src/core/plan-run.js'
import { startRecording } from '../../dist/src/core/start-recording.js'
import { Notices } from '../../dist/src/core/notices.js'
import { HistoryStore, STORE_FILE } from '../../dist/src/store/history-store.js'
import { ensureSound } from '../../dist/src/store/store-soundness.js'
import { isTrusted } from '../../dist/src/store/trust-stamp.js'
import { median, report } from './_bench-tools.js'
import { SoakSuite } from './_soak-suite.js'

const knob = (name: string, fallback: number): number => {
  const value = Number(process.env[`FLAKELINE_BENCH_SOAK_${name}`] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`FLAKELINE_BENCH_SOAK_${name} must be a positive integer`)
  return value
}
const RUNS = knob('RUNS', 200)
const LIMIT = knob('LIMIT', 50)
// Plan time is compared over runs 21–40 and the last 20.
if (RUNS < 40) throw new Error('FLAKELINE_BENCH_SOAK_RUNS must be at least 40')
const LARGE = process.env.FLAKELINE_BENCH_SOAK_LARGE !== '0'
// The soak's options are its own: a FLAKELINE_* variable of the shell would override them.
for (const name of Object.keys(process.env)) if (name.startsWith('FLAKELINE_')) delete process.env[name]

/** The recorder drops what fell out of the history limit every this many runs (`COMPACT_EVERY_RUNS` in run-recorder.ts). */
const COMPACT_EVERY = 50
const WORKERS = 2
const SEED = 0x5eed13
const FIRST_RUN_AT = Date.UTC(2026, 0, 5, 8)
const HOUR = 3_600_000
const PRINT_EVERY = 20

interface RunTimes {
  planMs: number
  /** From `startRecording` to the closing transaction committed (and the compaction on every 50th run). */
  recordMs: number
  /** After the run is recorded: the flaky analysis, then closing the store. */
  afterMs: number
}

interface Project {
  root: string
  dir: string
  file: string
}

function newProject(prefix: string, config: Record<string, unknown>): Project {
  const root = mkdtempSync(join(tmpdir(), prefix))
  writeFileSync(join(root, 'package.json'), '{"name":"soak-fixture"}')
  // git's cost does not depend on the store and this directory is not a repository; CI outputs are not the subject.
  writeFileSync(join(root, 'flakeline.config.json'), JSON.stringify({ gitChanges: false, ci: 'none', ...config }))
  const dir = join(root, '.flakeline')
  return { root, dir, file: join(dir, STORE_FILE) }
}

/** Collects flakeline's lines: a soak must not warn, and the "recorded run" line marks where the analysis starts. */
class LineWatch {
  readonly warnings: string[] = []
  recordedAt = Number.NaN
  readonly sink = (line: string): void => {
    if (line.startsWith('flakeline: recorded run ')) this.recordedAt = performance.now()
    else if (line.startsWith('flakeline: warning')) this.warnings.push(line)
  }
}

/** One run as a runner integration makes it: plan, run (the suite's simulated results), record, finish. */
async function oneRun(project: Project, suite: SoakSuite, run: number, watch: LineWatch, inline?: Record<string, unknown>): Promise<RunTimes & { testKeys: string[] }> {
  const paths = suite.pathsOf(run)
  const notices = new Notices({ sink: watch.sink })
  const planStart = performance.now()
  const plan = await planRun({ root: project.root, fileIds: paths, paths, workers: WORKERS, runner: 'vitest', notices, inline })
  const planMs = performance.now() - planStart
  if (run > 1 && !plan) throw new Error(`run ${run}: no plan from a store with history`)
  const startedAt = FIRST_RUN_AT + (run - 1) * HOUR
  const results = suite.run(run, plan ? plan.order.map((file) => file.fileId) : paths, startedAt, WORKERS)
  watch.recordedAt = Number.NaN
  const recordStart = performance.now()
  const recorder = await startRecording(project.root, inline, { runner: 'vitest', runnerVersion: '4.1.12', shard: null, workers: WORKERS, startedAt }, watch.sink)
  if (!recorder) throw new Error('flakeline is disabled in the soak fixture')
  for (const file of results.files) recorder.addFile(file)
  const recorded = await recorder.finish(results.status, results.endedAt)
  const end = performance.now()
  if (!recorded || recorded.seq !== run) throw new Error(`run ${run} was not recorded as run ${run} (${watch.warnings.join('; ') || 'no warning'})`)
  if (Number.isNaN(watch.recordedAt)) throw new Error(`run ${run}: no "recorded run" line`)
  const testKeys = results.files.flatMap((file) => file.tests.map((test) => `${file.fileId}\0${test.name}`))
  return { planMs, recordMs: watch.recordedAt - recordStart, afterMs: end - watch.recordedAt, testKeys }
}

interface Counts {
  runs: number
  files: number
  tests: number
  fileRecords: number
  verdicts: number
  runOrder: number
}

async function countsOf(dir: string): Promise<Counts> {
  const store = HistoryStore.open(dir, { historyLimit: LIMIT, readOnly: true })
  try {
    return { ...store.counts(), verdicts: store.keysOf('verdicts').declared, runOrder: store.keysOf('runOrder').declared }
  } finally {
    await store.close()
  }
}

/** Bytes of every file in the store's directory (the data file, LMDB's lock file, the trust stamp, anything else kept there). */
function directoryBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isFile() ? statSync(join(dir, entry.name)).size : 0), 0)
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2))
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MB`
const range = (values: number[]): string => `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`

/**
 * The most entries the store may hold after run `run` if it is bounded as designed: a window keeps
 * `LIMIT` runs, and every `COMPACT_EVERY`th run drops run records, files and tests older than the
 * newest `LIMIT` runs, so nothing last seen more than `LIMIT + COMPACT_EVERY` runs ago may remain.
 */
function boundsAt(run: number, seen: ReadonlyArray<{ files: Set<string>; tests: Set<string> }>): Counts {
  const recent = seen.slice(Math.max(0, run - (LIMIT + COMPACT_EVERY)), run)
  const files = new Set(recent.flatMap((r) => [...r.files])).size
  const tests = new Set(recent.flatMap((r) => [...r.tests])).size
  const runs = Math.min(run, LIMIT + COMPACT_EVERY - 1)
  return { runs, files, tests, fileRecords: files * LIMIT, verdicts: tests, runOrder: runs }
}

interface SoakResult {
  project: Project
  suite: SoakSuite
  times: RunTimes[]
  /** The data file's size after each run. */
  sizes: number[]
  /** The store directory's size after each run. */
  dirSizes: number[]
  failures: string[]
}

async function soak(): Promise<SoakResult> {
  const suite = new SoakSuite(60, 8, SEED)
  const project = newProject('flakeline-bench-soak-', { historyLimit: LIMIT })
  const watch = new LineWatch()
  const times: RunTimes[] = []
  const sizes: number[] = []
  const dirSizes: number[] = []
  const failures: string[] = []
  const seen: Array<{ files: Set<string>; tests: Set<string> }> = []
  console.log(`soak: ${RUNS} runs of ${suite.files} files × ${suite.testsPerFile} tests on one store, historyLimit ${LIMIT}, ${WORKERS} workers, analysis on`)
  console.log(' run  history.mdb  runs kept  files  tests  detail records  verdicts   plan ms med (max)   record ms med (max)   analysis ms med (max)')
  for (let run = 1; run <= RUNS; run++) {
    // A store flakeline closed itself is trusted: each run's check is a stat, never a walk.
    if (run > 1 && !isTrusted(project.file)) failures.push(`run ${run}: the store flakeline closed after run ${run - 1} is not trusted`)
    const { testKeys, ...runTimes } = await oneRun(project, suite, run, watch)
    times.push(runTimes)
    sizes.push(statSync(project.file).size)
    dirSizes.push(directoryBytes(project.dir))
    seen.push({ files: new Set(suite.pathsOf(run)), tests: new Set(testKeys) })
    // Older runs no longer bound anything (see boundsAt); dropping them keeps the heap, and so the timings, flat.
    if (seen.length > LIMIT + COMPACT_EVERY) seen[run - LIMIT - COMPACT_EVERY - 1] = { files: new Set(), tests: new Set() }
    const counts = await countsOf(project.dir)
    const bounds = boundsAt(run, seen)
    for (const key of Object.keys(bounds) as Array<keyof Counts>) {
      if (counts[key] > bounds[key]) failures.push(`run ${run}: ${counts[key]} ${key} stored, at most ${bounds[key]} expected`)
    }
    if (run % PRINT_EVERY === 0 || run === RUNS) {
      const block = times.slice(-PRINT_EVERY)
      const show = (pick: (t: RunTimes) => number): string => `${ms(median(block.map(pick)))} (${ms(Math.max(...block.map(pick)))})`.padStart(20)
      console.log(
        `${String(run).padStart(4)} ${mb(sizes[run - 1]!).padStart(12)} ${String(counts.runs).padStart(10)} ${String(counts.files).padStart(6)} ${String(counts.tests).padStart(6)}` +
          ` ${String(counts.fileRecords).padStart(15)} ${String(counts.verdicts).padStart(9)}  ${show((t) => t.planMs)}  ${show((t) => t.recordMs)}  ${show((t) => t.afterMs)}`,
      )
    }
  }
  failures.push(...watch.warnings.map((line) => `a warning during the soak: ${line}`))
  console.log(`      the store's directory after run ${RUNS}: ${readdirSync(project.dir).map((name) => `${name} ${statSync(join(project.dir, name)).size}`).join(', ')} (bytes)`)
  return { project, suite, times, sizes, dirSizes, failures }
}

/** The first compaction that drops runs (the first multiple of 50 above `LIMIT`): the store has held its most just before it. */
const STEADY_RUN = (Math.floor(LIMIT / COMPACT_EVERY) + 1) * COMPACT_EVERY

function judgeSoak({ times, sizes, dirSizes, failures }: SoakResult): boolean {
  const medianOf = (from: number, to: number, pick: (t: RunTimes) => number): number => median(times.slice(from - 1, to).map(pick))
  const lastFrom = RUNS - 19
  // Windows fill up over the first LIMIT runs, and a run rewrites each window it appends to: recording
  // and analysing grow with them until then, and are comparable from the first runs with full windows.
  const line = (what: string, pick: (t: RunTimes) => number, also: [number, number]): void => {
    const first = medianOf(1, 20, pick)
    const last = medianOf(lastFrom, RUNS, pick)
    const other = medianOf(also[0], also[1], pick)
    console.log(
      `      ${what.padEnd(12)} runs 1–20 ${ms(first)}, ${also[0]}–${also[1]} ${ms(other)}, ${lastFrom}–${RUNS} ${ms(last)};` +
        ` last 20 ÷ first 20 ${(last / first).toFixed(2)}×, ÷ runs ${also[0]}–${also[1]} ${(last / other).toFixed(2)}×`,
    )
  }
  const full: [number, number] = [LIMIT + 1, Math.min(RUNS, LIMIT + 20)]
  line('plan ms', (t) => t.planMs, [21, 40])
  line('record ms', (t) => t.recordMs, full)
  line('analysis ms', (t) => t.afterMs, full)
  const at = (run: number): string => `${run}: ${mb(sizes[run - 1]!)} (directory ${mb(dirSizes[run - 1]!)})`
  console.log(`      history.mdb at run ${[...new Set([50, 100, 150, 200, RUNS])].filter((run) => run <= RUNS).sort((a, b) => a - b).map(at).join(', ')}`)
  for (const failure of failures.slice(0, 10)) console.log(`      ${failure}`)
  if (failures.length > 10) console.log(`      … and ${failures.length - 10} more`)
  report('soak: entries within the history limit, store trusted, no warning', `${failures.length} problems`, 'none', failures.length === 0)
  let ok = failures.length === 0

  // Planning time flat: the last 20 runs against runs 21–40 (the first 20 plan from less history and
  // warm the JIT up); medians of 20 absorb the odd slow run of a shared machine.
  const planRatio = medianOf(lastFrom, RUNS, (t) => t.planMs) / medianOf(21, 40, (t) => t.planMs)
  report('soak: plan time, median of the last 20 ÷ runs 21–40', `${planRatio.toFixed(2)}×`, '≤ 2×', planRatio <= 2)
  ok &&= planRatio <= 2

  // The size on disk, the store's whole directory. LMDB never shrinks its file, so its size is the
  // high-water mark of what the store held, plus free pages it has not reused. What the store holds
  // peaks just before each compaction (LIMIT + 49 run records, LIMIT detail records per file), and the
  // first such peak has passed by STEADY_RUN, the first compaction that drops runs. From there on every
  // 50-run cycle holds the same (the entry counts above check it run by run), so a store that reuses
  // its freed pages stays at its size at STEADY_RUN. One that does not, or bulky data kept per run and
  // never dropped (the detail records, say), grows by what a cycle writes, as much again as the store
  // held of it at STEADY_RUN; two cycles of that fail 1.25×, which leaves room for LMDB's free-page
  // lists and fragmentation. A leak of small records (run records, run orders) would hardly show in
  // bytes: the entry counts catch those.
  if (RUNS >= STEADY_RUN + 2 * COMPACT_EVERY) {
    const growth = dirSizes[RUNS - 1]! / dirSizes[STEADY_RUN - 1]!
    report(`soak: store directory at run ${RUNS} ÷ at run ${STEADY_RUN}`, `${growth.toFixed(3)}×`, '≤ 1.25×', growth <= 1.25)
    ok &&= growth <= 1.25
  } else console.log(`      (store growth not judged: needs ${STEADY_RUN + 2 * COMPACT_EVERY} runs with historyLimit ${LIMIT})`)
  return ok
}

/** Builds a larger store the same way, without the analysis until its last runs (it is not what is measured here). */
async function largeStore(files: number, runs: number): Promise<{ project: Project; suite: SoakSuite; times: RunTimes[] }> {
  const suite = new SoakSuite(files, 8, SEED + 1)
  const project = newProject('flakeline-bench-soak-large-', { historyLimit: 200 })
  const watch = new LineWatch()
  const times: RunTimes[] = []
  const started = performance.now()
  for (let run = 1; run <= runs; run++) {
    // Only the times are kept: 200 runs' test keys would weigh on the collector and blur the timings.
    const { testKeys: _keys, ...runTimes } = await oneRun(project, suite, run, watch, { analysis: run > runs - 3 })
    times.push(runTimes)
  }
  if (watch.warnings.length) throw new Error(`the larger store warned: ${watch.warnings[0]}`)
  const block = (from: number, to: number, pick: (t: RunTimes) => number): string => ms(median(times.slice(from - 1, to).map(pick)))
  console.log(`\nlarger store: ${files} files × 8 tests, ${runs} runs (historyLimit 200) recorded the same way in ${((performance.now() - started) / 1000).toFixed(0)} s, ${mb(statSync(project.file).size)}`)
  console.log(`      plan ms: runs 1–20 ${block(1, 20, (t) => t.planMs)}, 21–40 ${block(21, 40, (t) => t.planMs)}, last 20 ${block(runs - 19, runs, (t) => t.planMs)}`)
  console.log(`      record ms (windows growing to 200 entries): runs 1–20 ${block(1, 20, (t) => t.recordMs)}, 21–40 ${block(21, 40, (t) => t.recordMs)}, last 20 ${block(runs - 19, runs, (t) => t.recordMs)}`)
  return { project, suite, times }
}

/**
 * What `ensureSound` costs before a runner opens the store: trusted (flakeline closed it: a stat and a
 * small read), and untrusted (its modification time changed, as after a CI cache restore or a copy:
 * every record walked in child processes, then stamped). Against one plan of the next run on that store.
 */
async function checkCost(label: string, short: string, project: Project, paths: string[]): Promise<boolean> {
  const quiet = new Notices({ sink: () => {} })
  const plans: number[] = []
  for (let i = 0; i < 10; i++) {
    const start = performance.now()
    await planRun({ root: project.root, fileIds: paths, paths, workers: WORKERS, runner: 'vitest', notices: quiet })
    if (i > 0) plans.push(performance.now() - start)
  }
  const trusted: number[] = []
  for (let i = 0; i < 31; i++) {
    const start = performance.now()
    await ensureSound(project.dir)
    if (i > 0) trusted.push(performance.now() - start)
  }
  const untrusted: number[] = []
  for (let i = 0; i < 5; i++) {
    const now = new Date(Date.now() + (i + 1) * 1000)
    utimesSync(project.file, now, now)
    if (isTrusted(project.file)) throw new Error('the store is still trusted after its modification time changed')
    const start = performance.now()
    await ensureSound(project.dir)
    untrusted.push(performance.now() - start)
    if (!isTrusted(project.file)) throw new Error('a sound store was not stamped after its check')
  }
  // Baseline: starting a bare Node process, which the check does at least once (then loads LMDB and walks).
  const bareNode: number[] = []
  for (let i = 0; i < 5; i++) {
    const start = performance.now()
    spawnSync(process.execPath, ['-e', ''])
    bareNode.push(performance.now() - start)
  }
  const plan = median(plans)
  console.log(`\n${label}: ${mb(statSync(project.file).size)}; plan of one run ${range(plans)} ms (median (range) of 9)`)
  console.log(`      ensureSound, trusted:   ${range(trusted)} ms (30), ${(median(trusted) / plan).toFixed(4)}× a plan`)
  console.log(`      ensureSound, untrusted: ${range(untrusted)} ms (5),  ${(median(untrusted) / plan).toFixed(1)}× a plan`)
  console.log(`      baseline: a bare Node process started and ended ${range(bareNode)} ms (5); the check ${(median(untrusted) / median(bareNode)).toFixed(1)}× that`)
  const small = median(trusted) < 0.05 * plan
  report(`trusted store check ÷ one plan, ${short}`, `${((median(trusted) / plan) * 100).toFixed(2)}%`, '< 5%', small)
  return small
}

const soakResult = await soak()
let ok = judgeSoak(soakResult)
ok = (await checkCost(`the soak's store (${soakResult.suite.files} files, historyLimit ${LIMIT}, after ${RUNS} runs)`, "the soak's store", soakResult.project, soakResult.suite.pathsOf(RUNS + 1))) && ok
rmSync(soakResult.project.root, { recursive: true, force: true })
if (LARGE) {
  const large = await largeStore(300, 200)
  ok = (await checkCost('the larger store (300 files, 200 runs kept)', 'the larger store', large.project, large.suite.pathsOf(201))) && ok
  rmSync(large.project.root, { recursive: true, force: true })
}
process.exit(ok ? 0 : 1)

// A simulated project with known ground truth, replayed run by run through analyseTests exactly
// as the reporter calls it (after each run, only the tests that ran, carrying the model).
import type { AnalysisPool } from '../analysis/analysis-pool.js'
import { analyseTests } from './analyse-tests.js'
import type { ModelState, SignalName, TestCase, TestObservation, Verdict, VerdictKind } from './types.js'
import { seededRandom as seeded } from '../scheduling/policies/shuffle.js'

/** How a project runs its tests. */
export interface ProjectSetup {
  name: string
  seed: number
  runs: number
  files: number
  testsPerFile: number
  /** Retries per failing test (0: none). */
  retries: number
  /** Chance that a run with failures is re-run on the same commit (CI "re-run failed jobs"). */
  rerunAfterFailure: number
  /** Chance that any other run is a re-run of the same commit (a second workflow, a nightly). */
  rerun: number
  /** Files in a new order every run (shuffle), or in one order. */
  shuffle: boolean
  /** Share of runs that run only half the files (changed-files runs, a shard). */
  partialRuns: number
}

/** What a simulated test really is. */
export type Truth = 'stable' | 'flaky' | 'regression' | 'broken'

interface SimTest {
  fileId: string
  name: string
  file: number
  truth: Truth
  /** What kind of flaky, regression or stable test, for the per-flavour figures. */
  flavour: string
  born: number
  /** Failure chance of one attempt in run `r` (after the run's context is drawn). */
  attempt(run: RunContext, retry: number): { failed: boolean; message: string | null; duration: number }
  /** Runs [start, end) when a regression fails (set when its landing and fix commits happen); broken tests: end = Infinity. */
  failingFrom?: number
  failingTo?: number
  /** A regression lands with the first new commit at or after this run and is fixed by the first at or after `fixAfter`. */
  landAfter?: number
  fixAfter?: number
  /** The regression's landing and fix touch the test or a linked source (else only unlinked files). */
  linked?: boolean
}

interface RunContext {
  index: number
  seq: number
  commit: string | null
  startedAt: number
  hour: number
  /** Position of each file in this run's order (-1: not run). */
  position: Int32Array
  down: boolean[]
  newCommit: boolean
}

/** Files 0..HOT_FILES-1 change in half of the commits (troubled tests land in them by chance). */
const HOT_FILES = 4


const VARIED = [
  'Exceeded timeout of 5000 ms for a test.',
  'connect ECONNRESET 10.0.0.12:443',
  'expected 200 "OK", got 503 "Service Unavailable"',
  "TypeError: Cannot read properties of undefined (reading 'id')",
  'AssertionError: expected [ 3, 1, 2 ] to deeply equal [ 1, 2, 3 ]',
  'Error: socket hang up',
]

/** The tests of one project: mostly stable ones, and every kind of trouble the issue names. */
function makeTests(setup: ProjectSetup, random: () => number): { tests: SimTest[]; groups: number } {
  const tests: SimTest[] = []
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const slots: Array<{ file: number; index: number }> = []
  for (let f = 0; f < setup.files; f++) for (let t = 0; t < setup.testsPerFile; t++) slots.push({ file: f, index: t })
  // Shuffle the slots so troubled tests land in random files.
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[slots[i], slots[j]] = [slots[j]!, slots[i]!]
  }
  let next = 0
  const make = (truth: Truth, flavour: string, born: number, attempt: SimTest['attempt'], extra: Partial<SimTest> = {}): SimTest => {
    const slot = slots[next++]!
    const test: SimTest = { fileId: `tests/file-${String(slot.file).padStart(2, '0')}.test.ts`, name: `case ${slot.index} (${flavour})`, file: slot.file, truth, flavour, born, attempt, ...extra }
    tests.push(test)
    return test
  }
  const base = (): number => 20 + random() * 200
  const steady = (mean: number) => (): number => mean * (0.9 + 0.2 * random())
  const born = (): number => (random() < 0.12 ? Math.floor(random() * setup.runs * 0.7) : 0)
  const stableMessage = (): string => `AssertionError: expected ${Math.floor(random() * 100)} to equal ${Math.floor(random() * 100)}`
  // Random flaky tests, 2% to 50%, half with one message, half with varied ones.
  for (const rate of [0.02, 0.05, 0.1, 0.2, 0.35, 0.5]) {
    for (const varied of [false, true]) {
      const mean = base()
      const own = stableMessage()
      make('flaky', `random ${Math.round(rate * 100)}%`, born(), () => {
        const failed = random() < rate
        return { failed, message: failed ? (varied ? pick(VARIED) : own) : null, duration: mean * (0.7 + 0.8 * random()) }
      })
    }
  }
  // Periodic: fails in every p-th run (a weekly job, a rotating credential).
  for (const period of [5, 7, 10]) {
    const mean = base()
    const phase = Math.floor(random() * period)
    make('flaky', `periodic ${period}`, 0, (run) => {
      const failed = run.index % period === phase && random() < 0.9
      return { failed, message: failed ? 'Error: token expired' : null, duration: steady(mean)() }
    })
  }
  // Time of day: fails around midnight UTC (a maintenance window, a date boundary).
  for (let i = 0; i < 3; i++) {
    const mean = base()
    make('flaky', 'time of day', 0, (run) => {
      const failed = (run.hour >= 22 || run.hour < 2 ? random() < 0.7 : random() < 0.005)
      return { failed, message: failed ? `expected '2024-01-0${1 + (run.index % 9)}' to equal '2024-01-0${2 + (run.index % 8)}'` : null, duration: steady(mean)() }
    })
  }
  // Order dependent: fails when a polluting file ran shortly before it (same worker's state).
  for (let i = 0; i < 3; i++) {
    const mean = base()
    let polluter = Math.floor(random() * setup.files)
    const test = make('flaky', 'order', 0, (run) => {
      const p = run.position[polluter]!
      const own = run.position[test.file]!
      const failed = p >= 0 && p < own && own - p <= 20 && random() < 0.7
      return { failed, message: failed ? 'expected 0 rows, got 3' : null, duration: steady(mean)() }
    })
    if (polluter === test.file) polluter = (polluter + 1) % setup.files
  }
  // Near the timeout: durations spread around 85% of it; the long ones time out.
  for (let i = 0; i < 3; i++) {
    make('flaky', 'near timeout', 0, () => {
      const duration = 5000 * (0.62 + 0.3 * random() + 0.15 * random() * random())
      const failed = duration >= 5000
      return { failed, message: failed ? 'Exceeded timeout of 5000 ms for a test.' : null, duration: Math.min(duration, 5000) }
    })
  }
  // Clusters: tests sharing a flaky service fail together when it is down.
  const groups = 2
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < 4; i++) {
      const mean = base()
      make('flaky', 'cluster', 0, (run) => {
        const failed = run.down[g] ? random() < 0.9 : random() < 0.01
        return { failed, message: failed ? 'connect ECONNREFUSED 127.0.0.1:5432' : null, duration: steady(mean)() }
      })
    }
  }
  // Regressions that land and are later fixed; some break several tests of a file at once.
  for (let i = 0; i < 8; i++) {
    const start = 15 + Math.floor(random() * (setup.runs - 40))
    const end = start + 3 + Math.floor(random() * 13)
    const linked = random() < 0.8
    const width = random() < 0.3 ? 2 + Math.floor(random() * 3) : 1
    const varied = random() < 0.15
    for (let w = 0; w < width; w++) {
      const mean = base()
      const own = stableMessage()
      // Failing is a property of the code: from the landing commit until the fix commit, re-runs included.
      const test: SimTest = make('regression', 'regression', 0, (run) => {
        const failed = run.index >= test.failingFrom! && run.index < test.failingTo!
        return { failed, message: failed ? (varied ? `TypeError: Cannot read properties of undefined (reading '${pick(['id', 'name', 'rows', 'user'])}')` : own) : null, duration: steady(mean)() }
      }, { failingFrom: Infinity, failingTo: Infinity, landAfter: start, fixAfter: end, linked })
    }
  }
  // Broken tests: committed broken, never fixed.
  for (let i = 0; i < 2; i++) {
    const from = Math.floor(random() * setup.runs * 0.6)
    const mean = base()
    make('broken', 'broken', from, () => ({ failed: true, message: "Error: Cannot find module './fixtures/data.json'", duration: steady(mean)() }), { failingFrom: from, failingTo: Infinity, linked: true })
  }
  // Everything else is stable (some of it new during the replay).
  while (next < slots.length) {
    const mean = base()
    make('stable', 'stable', born(), () => ({ failed: false, message: null, duration: steady(mean)() }))
  }
  return { tests, groups }
}

/**
 * The verdict a perfect analysis would give `test` after run `r`, having seen `ran` runs of it,
 * `failedRuns` of them with a failed attempt, `definitive` whether one passed on retry or on a
 * commit where it also failed: a flaky test is knowably flaky after two failures or one
 * definitive one.
 */
function expected(test: SimTest, r: number, ran: number, failedRuns: number, definitive: boolean): VerdictKind {
  if (test.truth === 'flaky' && definitive) return 'flaky'
  if (ran < 3) return 'new'
  if (test.truth === 'flaky') return failedRuns >= 2 ? 'flaky' : 'stable'
  if (test.truth === 'stable') return 'stable'
  const from = test.failingFrom!
  const to = test.failingTo!
  if (r >= from + 1 && r < to) return 'failing'
  if (r >= to && r < to + 3) return 'recovered'
  return 'stable'
}

/** Per-test record of the replay. */
export interface TestOutcome {
  fileId: string
  name: string
  truth: Truth
  flavour: string
  /** Run indexes with a failed attempt (a final failure or a pass on retry). */
  failedRuns: number[]
  /** The verdict after each run it ran in, by run index. */
  verdicts: Map<number, Pick<Verdict, 'verdict' | 'flakyProbability' | 'confidence'>>
  expected: Map<number, VerdictKind>
}

/** The replay of one project. */
export interface ProjectReplay {
  setup: ProjectSetup
  tests: TestOutcome[]
  model: ModelState
  /** Milliseconds analyseTests took per run. */
  analysisMs: number[]
}

/**
 * Replays `setup.runs` runs of a simulated project: each run draws its commit (new or a re-run),
 * its order, its time of day and whether shared services are down, runs every test that exists
 * (retrying failures up to `retries` times), then calls analyseTests with the tests that ran, as
 * the reporter does, carrying the model from run to run.
 */
export async function replayProject(
  setup: ProjectSetup,
  pool: AnalysisPool,
  options: { disable?: readonly SignalName[]; window?: number; onRun?: (run: number, verdicts: readonly Verdict[], cases: readonly TestCase[]) => void } = {},
): Promise<ProjectReplay> {
  const random = seeded(setup.seed)
  const { tests, groups } = makeTests(setup, random)
  const histories = tests.map(() => [] as TestObservation[])
  const ran = new Int32Array(tests.length)
  const definitive = tests.map(() => false)
  const outcomesByCommit = tests.map(() => new Map<string, number>())
  const outcomes: TestOutcome[] = tests.map((t) => ({ fileId: t.fileId, name: t.name, truth: t.truth, flavour: t.flavour, failedRuns: [], verdicts: new Map(), expected: new Map() }))
  let model: ModelState | null = null
  let commit = 'c0'
  let commits = 0
  let previousFailed = false
  let time = Date.UTC(2025, 0, 6, 9)
  const order = Array.from({ length: setup.files }, (_, f) => f)
  const analysisMs: number[] = []
  const window = options.window ?? 200
  for (let r = 0; r < setup.runs; r++) {
    const rerun = r > 0 && random() < (previousFailed ? setup.rerunAfterFailure : setup.rerun)
    if (!rerun) commit = `${setup.name}-${(++commits).toString(16).padStart(8, '0')}`
    const dirty = random() < 0.05
    time += (1 + 4 * random()) * 3_600_000
    if (setup.shuffle || r === 0) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[order[i], order[j]] = [order[j]!, order[i]!]
      }
    }
    const partial = random() < setup.partialRuns
    const position = new Int32Array(setup.files).fill(-1)
    const ranFiles: number[] = []
    for (const f of order) if (!partial || random() < 0.5) ranFiles.push(f)
    ranFiles.forEach((f, i) => (position[f] = i))
    const before = ranFiles.map((_, i) => ranFiles.slice(Math.max(0, i - 20), i).map((g) => `tests/file-${String(g).padStart(2, '0')}.test.ts`))
    const run: RunContext = { index: r, seq: r + 1, commit: dirty ? null : commit, startedAt: time, hour: new Date(time).getUTCHours(), position, down: Array.from({ length: groups }, () => random() < 0.08), newCommit: !rerun }
    // Files touched by this commit (not by a re-run): the test is "changed" when its file was.
    // A few files are under active work and change with most commits, the rest rarely.
    const touched = new Set<number>()
    if (!rerun) for (let f = 0; f < setup.files; f++) if (random() < (f < HOT_FILES ? 0.5 : 0.06)) touched.add(f)
    if (!rerun) {
      for (const test of tests) {
        if (test.landAfter !== undefined && test.failingFrom === Infinity && r >= test.landAfter) test.failingFrom = r
        if (test.fixAfter !== undefined && test.failingTo === Infinity && test.failingFrom! < r && r >= test.fixAfter) test.failingTo = r
      }
    }
    previousFailed = false
    const cases: TestCase[] = []
    tests.forEach((test, t) => {
      if (test.born > r || position[test.file]! < 0) return
      let attempts = 0
      let result: ReturnType<SimTest['attempt']>
      let firstMessage: string | null = null
      do {
        result = test.attempt(run, attempts)
        if (result.failed && firstMessage === null) firstMessage = result.message
        attempts++
      } while (result.failed && attempts <= setup.retries)
      if (result.failed) previousFailed = true
      let changed = touched.has(test.file)
      if (test.failingFrom !== undefined && !rerun) {
        // The regression's landing and its fix are commits that touch the test or what it imports.
        const edge = r === test.failingFrom || r === test.failingTo
        if (edge && test.linked) changed = true
      }
      if (rerun) changed = false
      const observation: TestObservation = {
        seq: run.seq,
        status: result.failed ? 'failed' : 'passed',
        attempts,
        durationMs: Math.round(result.duration),
        startedAt: run.startedAt,
        codeState: run.commit,
        message: result.failed ? result.message : attempts > 1 ? firstMessage : null,
        timeoutMs: 5000,
        before: before[position[test.file]!]!,
        changed,
      }
      ran[t]!++
      if (!result.failed && attempts > 1) definitive[t] = true
      if (run.commit !== null) {
        const seen = outcomesByCommit[t]!.get(run.commit) ?? 0
        const now = seen | (result.failed ? 2 : 1)
        outcomesByCommit[t]!.set(run.commit, now)
        if (now === 3) definitive[t] = true
      }
      const history = histories[t]!
      history.push(observation)
      if (history.length > window) history.shift()
      if (result.failed || attempts > 1) outcomes[t]!.failedRuns.push(r)
      cases.push({ fileId: test.fileId, name: test.name, observations: history.slice() })
    })
    const started = performance.now()
    const result = await analyseTests(cases, model, { pool, disable: options.disable ?? [] })
    analysisMs.push(performance.now() - started)
    options.onRun?.(r, result.verdicts, cases)
    model = result.model
    const index = new Map(tests.map((t, i) => [`${t.fileId}\0${t.name}`, i]))
    for (const verdict of result.verdicts) {
      const t = index.get(`${verdict.fileId}\0${verdict.test}`)!
      const outcome = outcomes[t]!
      outcome.verdicts.set(r, { verdict: verdict.verdict, flakyProbability: verdict.flakyProbability, confidence: verdict.confidence })
      outcome.expected.set(r, expected(tests[t]!, r, ran[t]!, outcome.failedRuns.length, definitive[t]!))
    }
  }
  return { setup, tests: outcomes, model: model!, analysisMs }
}

/** The projects the benchmark replays: with and without retries, re-runs, shuffled orders. */
export function standardProjects(runs = 150, seed = 0): ProjectSetup[] {
  const common = { runs, files: 40, testsPerFile: 8, partialRuns: 0.15 }
  return [
    { name: 'no-retries-reruns', seed: seed * 1000 + 11, retries: 0, rerunAfterFailure: 0.5, rerun: 0.1, shuffle: true, ...common },
    { name: 'retries-2', seed: seed * 1000 + 23, retries: 2, rerunAfterFailure: 0.2, rerun: 0.05, shuffle: false, ...common },
    { name: 'retries-1-shuffle', seed: seed * 1000 + 37, retries: 1, rerunAfterFailure: 0.3, rerun: 0.1, shuffle: true, ...common },
    { name: 'no-retries-rare-reruns', seed: seed * 1000 + 53, retries: 0, rerunAfterFailure: 0.1, rerun: 0.02, shuffle: false, ...common },
  ]
}

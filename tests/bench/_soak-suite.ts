// The suite the soak runs again and again: a fixed set of files and tests whose outcomes and
// durations come from a seeded PRNG, so every bench run records the same history. It has what a
// store meets in a real project: flaky tests (some retried), a test broken for a stretch and fixed,
// one that always fails, skipped and todo tests, a parameterised test whose name changes every few
// runs, a file moved now and then, and durations from tens of milliseconds to seconds.
import type { FileResult } from '../../dist/src/core/run-recorder.js'
import type { RunStatus, TestRecord, TestStatus } from '../../dist/src/records.js'

/** mulberry32, the PRNG of the shuffle policy: the same seed gives the same stream on every machine. */
import { seededRandom } from '../../dist/src/scheduling/policies/shuffle.js'

export { seededRandom }

type TestKind = 'stable' | 'flaky' | 'retried' | 'broken' | 'failing' | 'skipped' | 'todo' | 'parameterised'

interface TestShape {
  title: string
  kind: TestKind
  /** Share of the file's test time. */
  share: number
  /** Where a `broken` test fails: runs [brokenFrom, brokenTo). */
  brokenFrom: number
  brokenTo: number
  line: number
}

interface FileShape {
  index: number
  /** Worker cost of one run before jitter (import, setup, tests). */
  baseMs: number
  tests: TestShape[]
}

/** Runs between two moves of the moved file (a file renamed in a refactor starts a new history). */
const MOVE_EVERY_RUNS = 40
/** Runs between two names of the parameterised test (its data changes, so its title does). */
const RENAME_EVERY_RUNS = 10
/** Chance a flaky test's attempt fails. */
const FLAKY_FAIL = 0.12
/** Share of a file's time spent importing it, before its tests. */
const IMPORT_SHARE = 0.3

export interface SuiteRun {
  files: FileResult[]
  status: Exclude<RunStatus, 'running' | 'incomplete'>
  endedAt: number
}

/** `files` files of `testsPerFile` tests each (at least 8 for every kind of test to appear). */
export class SoakSuite {
  private readonly shapes: FileShape[]
  private readonly seed: number

  constructor(readonly files: number, readonly testsPerFile: number, seed: number) {
    this.seed = seed
    const random = seededRandom(seed)
    this.shapes = Array.from({ length: files }, (_, index) => {
      // Log-normal around 400 ms; every 20th file is a long one (integration-style, a few seconds).
      const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
      const baseMs = Math.min(20_000, Math.max(20, 400 * Math.exp(0.9 * gauss))) * (index % 20 === 7 ? 10 : 1)
      const weights = Array.from({ length: testsPerFile }, () => 0.2 + random())
      const total = weights.reduce((a, b) => a + b, 0)
      const brokenFrom = Math.floor(random() * 180)
      const tests = weights.map((weight, t): TestShape => ({
        title: `behaviour ${t}`,
        kind: kindOf(index, t),
        share: weight / total,
        brokenFrom,
        brokenTo: brokenFrom + 12,
        line: 10 + t * 14,
      }))
      return { index, baseMs, tests }
    })
  }

  /** The path of file `index` in run `run` (1-based): one file moves every `MOVE_EVERY_RUNS` runs. */
  pathOf(index: number, run: number): string {
    if (index === this.files - 1) return `tests/moved-${Math.floor((run - 1) / MOVE_EVERY_RUNS)}/relocated.test.ts`
    return `tests/area-${index % 6}/module-${String(index).padStart(4, '0')}.test.ts`
  }

  /** The files of run `run`, as the sequencer is given them. */
  pathsOf(run: number): string[] {
    return this.shapes.map((shape) => this.pathOf(shape.index, run))
  }

  /**
   * Run `run`'s results with its files in `order` (paths), run on `workers` workers by list
   * scheduling, as a runner hands the next file to the first free worker.
   */
  run(run: number, order: readonly string[], startedAt: number, workers: number): SuiteRun {
    const random = seededRandom((this.seed ^ Math.imul(run, 0x9e3779b1)) >>> 0)
    const byPath = new Map(this.shapes.map((shape) => [this.pathOf(shape.index, run), shape]))
    const free = new Array<number>(workers).fill(0)
    const used = new Array<boolean>(workers).fill(false)
    const files: FileResult[] = []
    let failed = false
    for (const path of order) {
      const shape = byPath.get(path)
      if (!shape) throw new Error(`soak suite: ${path} is not a file of run ${run}`)
      const worker = free.indexOf(Math.min(...free))
      const fileStart = startedAt + free[worker]!
      // Jitter of ±15%, and now and then a slow run (a loaded machine, a cold cache).
      const costMs = shape.baseMs * (0.85 + 0.3 * random()) * (random() < 0.02 ? 3 : 1)
      const firstOnWorker = !used[worker]
      used[worker] = true
      let at = fileStart + costMs * IMPORT_SHARE
      const tests = shape.tests.map((test) => {
        const record = this.testOf(test, shape.index, run, path, random, at, costMs * (1 - IMPORT_SHARE) * test.share)
        at += record.durationMs ?? 0
        return record
      })
      const fileFailed = tests.some((test) => test.status === 'failed')
      failed ||= fileFailed
      files.push({
        fileId: path, project: '', path, status: fileFailed ? 'failed' : 'passed', durationMs: costMs, startedAt: fileStart,
        fileError: null, tests, overheadMs: firstOnWorker ? 250 : 15, firstOnWorker,
      })
      free[worker] = free[worker]! + costMs + (firstOnWorker ? 250 : 15)
    }
    return { files, status: failed ? 'failed' : 'passed', endedAt: startedAt + Math.max(...free) + 40 }
  }

  private testOf(test: TestShape, fileIndex: number, run: number, path: string, random: () => number, startedAt: number, durationMs: number): TestRecord {
    const title = test.kind === 'parameterised' ? `handles input #${Math.floor((run - 1) / RENAME_EVERY_RUNS)}` : test.title
    const name = `module ${fileIndex} > ${title}`
    const location = { line: test.line, column: 3 }
    const failure = (): string => `AssertionError: expected ${Math.floor(random() * 100)} to be ${Math.floor(random() * 100) + 100}\n    at ${path}:${test.line + 4}:21`
    const ran = (status: TestStatus, attempts: AttemptList, message: string | null, retryErrors: string[] = []): TestRecord => ({
      name, status, durationMs, startedAt, attempts: attempts.length, attemptOutcomes: attempts, retryErrors, failureMessage: message, location,
    })
    switch (test.kind) {
      case 'skipped':
      case 'todo':
        return { name, status: test.kind, durationMs: null, startedAt: null, attempts: 0, attemptOutcomes: [], retryErrors: [], failureMessage: null, location }
      case 'failing':
        return ran('failed', ['failed'], failure())
      case 'broken':
        return run >= test.brokenFrom && run < test.brokenTo ? ran('failed', ['failed'], failure()) : ran('passed', ['passed'], null)
      case 'flaky':
        return random() < FLAKY_FAIL ? ran('failed', ['failed'], failure()) : ran('passed', ['passed'], null)
      case 'retried': {
        // Retried up to twice (Vitest `retry: 2`): a flaky failure usually passes on the next attempt.
        const attempts: AttemptList = []
        const errors: string[] = []
        while (attempts.length < 3) {
          const failedAttempt = random() < FLAKY_FAIL * 2
          attempts.push(failedAttempt ? 'failed' : 'passed')
          if (!failedAttempt) break
          if (attempts.length < 3) errors.push(failure())
        }
        const passed = attempts[attempts.length - 1] === 'passed'
        return ran(passed ? 'passed' : 'failed', attempts, passed ? null : failure(), errors)
      }
      default:
        return ran('passed', ['passed'], null)
    }
  }
}

type AttemptList = Array<'passed' | 'failed'>

/** Which test of which file is what: most tests are stable, as in a real suite. */
function kindOf(file: number, test: number): TestKind {
  if (test === 7 && file % 15 === 2) return 'parameterised'
  if (test === 7 && file % 9 === 0) return 'skipped'
  if (test === 6 && file % 13 === 0) return 'todo'
  if (test === 6 && file % 7 === 3) return 'flaky'
  if (test === 5 && file % 12 === 0) return 'retried'
  if (test === 4 && file % 10 === 5) return 'broken'
  if (test === 3 && file === 1) return 'failing'
  return 'stable'
}

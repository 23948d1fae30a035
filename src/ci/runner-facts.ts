/**
 * What the runner knows at the end of a run that flakeline's records do not say, but that decides
 * the runner's exit code: unhandled errors, snapshot failures, coverage thresholds, bail. The
 * reporter adapters publish them just before the recorder finishes; the CI outputs and quarantine
 * read them. They meet on a registry in `globalThis`, keyed by the package root, like the
 * sequencer's split (`run-handoff.ts`).
 */
export interface RunnerFacts {
  runner: 'jest' | 'vitest'
  /** The exit code the runner gives a run whose tests failed (Jest's `testFailureExitCode`, Vitest's 1). */
  failureExitCode: number
  /** Errors outside any test that fail the run on their own (Vitest's unhandled errors). */
  unhandledErrors: number
  /** Jest with `--ci`: obsolete or unwritten snapshots fail the run even when every test passed. */
  snapshotFailure: boolean
  /** Coverage thresholds are configured: the runner checks them after every reporter and fails the run with the same code. */
  coverageThresholds: boolean
  /** The run was stopped early by `bail`, so some tests never ran. */
  bailed: boolean
  /** The runner's own `github-actions` reporter is on and annotates failures itself. */
  runnerAnnotatesFailures: boolean
}

const REGISTRY = Symbol.for('flakeline.runnerFacts')

function registry(): Map<string, RunnerFacts> {
  const holder = globalThis as { [REGISTRY]?: Map<string, RunnerFacts> }
  return (holder[REGISTRY] ??= new Map())
}

/** Publishes the facts of the run rooted at `root` (the package root). */
export function publishRunnerFacts(root: string, facts: RunnerFacts): void {
  registry().set(root, facts)
}

/** The facts of the run at `root`, removed from the registry (the next run in watch mode has its own). */
export function takeRunnerFacts(root: string): RunnerFacts | undefined {
  const facts = registry().get(root)
  registry().delete(root)
  return facts
}

/** The parts of Vitest's resolved config the facts come from (structural: no import of vitest here). */
export interface VitestFactsConfig {
  bail?: number
  coverage?: { enabled?: boolean; thresholds?: unknown }
  reporters?: ReadonlyArray<unknown>
}

function hasThresholds(thresholds: unknown): boolean {
  if (!thresholds || typeof thresholds !== 'object') return false
  return Object.entries(thresholds).some(([key, value]) => (typeof value === 'number' && key !== 'autoUpdate') || (key !== 'autoUpdate' && value !== null && typeof value === 'object' && hasThresholds(value)))
}

function reporterNames(reporters: ReadonlyArray<unknown> | undefined): string[] {
  return (reporters ?? []).map((entry) => (Array.isArray(entry) ? entry[0] : entry)).filter((name): name is string => typeof name === 'string')
}

/**
 * Vitest 3 and 4 set exit code 1 when a module failed (`hasFailed`), when there were unhandled
 * errors (`_checkUnhandledErrors`), when the run was cancelled (`--bail`), and afterwards when a
 * coverage threshold is not met (`reportCoverage`, after `onTestRunEnd`).
 */
export function vitestFacts(config: VitestFactsConfig, unhandledErrors: ReadonlyArray<unknown>, reason: string): RunnerFacts {
  return {
    runner: 'vitest',
    failureExitCode: 1,
    unhandledErrors: unhandledErrors.length,
    snapshotFailure: false,
    coverageThresholds: config.coverage?.enabled === true && hasThresholds(config.coverage.thresholds),
    // An interrupted run is a blocker by its status already; with `bail` set it is also why tests never ran.
    bailed: reason === 'interrupted' && (config.bail ?? 0) > 0,
    runnerAnnotatesFailures: reporterNames(config.reporters).includes('github-actions') && process.env.GITHUB_ACTIONS === 'true',
  }
}

/** The parts of Jest's global config and aggregated results the facts come from. */
export interface JestFactsInput {
  globalConfig: {
    testFailureExitCode?: number
    collectCoverage?: boolean
    coverageThreshold?: unknown
    bail?: number
    reporters?: ReadonlyArray<unknown> | null
  }
  results: {
    numFailedTests: number
    snapshot?: { unchecked?: number; filesRemoved?: number; didUpdate?: boolean }
  }
}

/**
 * Jest 29 and 30 exit with `testFailureExitCode` when `success` is false: failed tests, files that
 * failed to run, `snapshot.failure` (unmatched, unchecked or removed snapshots without `-u`), or a
 * reporter error, which is how the coverage reporter (run after custom reporters) fails a threshold.
 * Unmatched snapshots are failed tests, so only unchecked and removed ones count here.
 */
export function jestFacts({ globalConfig, results }: JestFactsInput): RunnerFacts {
  const snapshot = results.snapshot ?? {}
  const bail = globalConfig.bail ?? 0
  return {
    runner: 'jest',
    failureExitCode: globalConfig.testFailureExitCode ?? 1,
    unhandledErrors: 0,
    snapshotFailure: !snapshot.didUpdate && ((snapshot.unchecked ?? 0) > 0 || (snapshot.filesRemoved ?? 0) > 0),
    coverageThresholds: globalConfig.collectCoverage === true && hasThresholds(globalConfig.coverageThreshold),
    bailed: bail > 0 && results.numFailedTests >= bail,
    runnerAnnotatesFailures: reporterNames(globalConfig.reporters ?? undefined).includes('github-actions') && process.env.GITHUB_ACTIONS === 'true',
  }
}

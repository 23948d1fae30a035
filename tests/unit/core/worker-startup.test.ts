import { describe, expect, test } from 'vitest'
import { jestWorkers, jestWorkersFromArgv, vitestWorkers } from '../../../src/core/worker-count.js'
import { workerStartup, type FileStartup } from '../../../src/core/worker-startup.js'
import { fileEvidence } from '../../../src/scheduling/file-evidence.js'
import { HistoryWindow } from '../../../src/store/history-window.js'
import { availableParallelism } from 'node:os'

const file = (fileId: string, startedAt: number, durationMs: number, overheadMs = 0): FileStartup => ({ fileId, startedAt, durationMs, overheadMs, firstOnWorker: overheadMs > 0 })

describe('workerStartup', () => {
  test('the files alone explain the run: per file only their measured start-up; the run\'s fixed cost before and after', () => {
    // Two workers, files back to back from 1,100 to 1,300; the run from 1,000 to 1,350.
    const files = [file('a', 1_100, 100), file('b', 1_100, 100), file('c', 1_200, 100), file('d', 1_200, 100)]
    expect(workerStartup(files, 2, { startedAt: 1_000, endedAt: 1_350 })).toEqual({ perWorkerMs: 150, perFileMs: 0 })
  })

  test('gaps between files no file accounts for (a process spawned per file) become a per-file cost that reproduces the run', () => {
    // Each file takes 100 ms but the next on its worker starts 300 ms later: 200 ms per file unexplained.
    const files = [file('a', 1_000, 100), file('b', 1_000, 100), file('c', 1_300, 100), file('d', 1_300, 100), file('e', 1_600, 100), file('f', 1_600, 100)]
    const startup = workerStartup(files, 2, { startedAt: 1_000, endedAt: 1_700 })!
    expect(startup.perWorkerMs).toBe(0)
    // 3 files per worker: 3 × (100 + x) = 700 → x ≈ 133 (the model spreads the gaps over every file).
    expect(startup.perFileMs).toBeGreaterThan(125)
    expect(startup.perFileMs).toBeLessThan(140)
  })

  test('measured start-up is part of each file\'s cost; nothing ran: null', () => {
    expect(workerStartup([file('a', 50, 100, 40), file('b', 150, 100, 0)], 1, { startedAt: 10, endedAt: 250 })).toEqual({ perWorkerMs: 0, perFileMs: 20 })
    expect(workerStartup([], 2, { startedAt: 0, endedAt: 1 })).toBeNull()
  })
})

describe('predictions free of position', () => {
  function windowOf(entries: Array<{ ms: number; first?: boolean; partial?: boolean }>): HistoryWindow {
    let bytes: Uint8Array | undefined
    entries.forEach(({ ms, first, partial }, i) => {
      bytes = HistoryWindow.append(bytes, { seq: i + 1, status: 'passed', durationMs: ms, startedAt: i, attempts: 1, firstOnWorker: first, partialDuration: partial }, 50).bytes
    })
    return new HistoryWindow(bytes!)
  }

  test('durations of runs where the file started a worker are left out while others exist', () => {
    expect(fileEvidence(windowOf([{ ms: 120 }, { ms: 49_000, first: true }, { ms: 110 }, { ms: 5_000, first: true }, { ms: 100 }])).predictedMs).toBe(110)
    expect(fileEvidence(windowOf([{ ms: 4_000, first: true }, { ms: 5_000, first: true }])).predictedMs).toBe(4_500)
  })

  test('the flags survive the window round trip', () => {
    const window = windowOf([{ ms: 1, first: true }, { ms: 2, partial: true }, { ms: 3 }])
    expect(window.entries().map((entry) => [entry.firstOnWorker === true, entry.partialDuration === true])).toEqual([
      [true, false],
      [false, true],
      [false, false],
    ])
  })
})

describe('worker counts, as each runner resolves them', () => {
  const cores = availableParallelism()
  test('Vitest', () => {
    expect(vitestWorkers({}).workers).toBe(Math.max(cores - 1, 1))
    expect(vitestWorkers({ watch: true }).workers).toBe(Math.max(Math.floor(cores / 2), 1))
    expect(vitestWorkers({ maxWorkers: 3 }).workers).toBe(3)
    expect(vitestWorkers({ maxWorkers: 3, fileParallelism: false }).workers).toBe(1)
    expect(vitestWorkers({ maxWorkers: '100%' }).workers).toBe(cores)
    expect(vitestWorkers({ pool: 'threads', poolOptions: { threads: { maxThreads: 5 } } }).workers).toBe(5)
    expect(vitestWorkers({ pool: 'forks', poolOptions: { forks: { singleFork: true } } }).workers).toBe(1)
  })

  test('Jest: its config, its command line (Jest 29), or its default said to be a guess', () => {
    expect(jestWorkers({ maxWorkers: 4 })).toEqual({ workers: 4, source: 'runner' })
    expect(jestWorkers({ maxWorkers: 4 }, [], true)).toEqual({ workers: 1, source: 'runner' })
    expect(jestWorkers(undefined, ['node', 'jest', '--maxWorkers=2'])).toEqual({ workers: 2, source: 'runner' })
    expect(jestWorkers(undefined, ['node', 'jest', '-w', '3'])).toEqual({ workers: 3, source: 'runner' })
    expect(jestWorkers(undefined, ['node', 'jest', '-i'])).toEqual({ workers: 1, source: 'runner' })
    expect(jestWorkers(undefined, ['node', 'jest'])).toEqual({ workers: Math.max(cores - 1, 1), source: 'default' })
    expect(jestWorkersFromArgv(['--maxWorkers=50%'])).toBe(Math.max(1, Math.round(cores / 2)))
  })
})

describe('the plan counts start-up', () => {
  test('each worker pays perWorkerMs before its first file, each file perFileMs; the recent runs\' median is predicted', async () => {
    const { planFiles, plainPlanFile } = await import('../../../src/scheduling/plan-files.js')
    const { suiteModel } = await import('../../../src/scheduling/failure-model.js')
    const { predictedStartup } = await import('../../../src/core/worker-startup.js')
    const { newRun } = await import('./_fixtures.js')
    const evidence = (ms: number) => fileEvidence(new HistoryWindow(HistoryWindow.append(undefined, { seq: 1, status: 'passed', durationMs: ms, startedAt: 0, attempts: 1 }, 10).bytes))
    const files = [plainPlanFile('a', evidence(1_000)), plainPlanFile('b', evidence(1_000)), plainPlanFile('c', evidence(1_000)), plainPlanFile('d', evidence(1_000))]
    const settings = { policy: 'lpt' as const, workers: 2, seed: 1, suite: suiteModel(files.map((file) => file.evidence)) }
    expect(planFiles(files, settings).predictedMakespanMs).toBe(2_000)
    expect(planFiles(files, { ...settings, startup: { perWorkerMs: 700, perFileMs: 0 } }).predictedMakespanMs).toBe(2_700)
    expect(planFiles(files, { ...settings, startup: { perWorkerMs: 0, perFileMs: 50 } }).predictedMakespanMs).toBe(2_100)
    const runs = [300, 500, 100].map((perWorkerMs, i) => ({ ...newRun({ id: `r${i}`, status: 'passed' }), seq: i + 1, startup: { perWorkerMs, perFileMs: 0 } }))
    expect(predictedStartup([{ ...newRun(), seq: 9 }, ...runs])).toEqual({ perWorkerMs: 300, perFileMs: 0 })
    expect(predictedStartup([{ ...newRun(), seq: 9 }])).toBeNull()
  })
})

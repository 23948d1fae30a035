import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { REPO, createProject, flakelineLines, readStore, removeProjects, runCliProcess, runRunner, type RunnerInstall } from './harness.js'

afterAll(removeProjects)

/** One worker, so the order files start in is the order the sequencer gave. */
const ONE_WORKER: Record<RunnerInstall, string[]> = {
  jest29: ['--runInBand'],
  jest30: ['--runInBand'],
  vitest3: ['--maxWorkers=1', '--no-file-parallelism'],
  vitest4: ['--maxWorkers=1', '--no-file-parallelism'],
}

const RUNNERS = [
  ['jest30', 'jest-babel'],
  ['jest29', 'jest-babel'],
  ['vitest4', 'vitest'],
  ['vitest3', 'vitest'],
] as const

function startOrder(files: ReadonlyArray<{ path: string; startedAt: number }>): string[] {
  return files.slice().sort((a, b) => a.startedAt - b.startedAt).map((file) => file.path)
}

describe.each(RUNNERS)('%s: deadlines and priorities', (install, fixture) => {
  test('the critical file with a deadline starts first, before and after history; misses are recorded and shown', async () => {
    const dir = createProject(install, fixture)
    cpSync(join(REPO, 'fixtures', 'deadline'), dir, { recursive: true })
    const env = { FLAKELINE_WORKERS: '1', FLAKELINE_GIT_CHANGES: '0' }
    const first = await runRunner(install, dir, ONE_WORKER[install], env)
    expect(flakelineLines(first)).toContain(
      `flakeline: no history yet in ${join(dir, '.flakeline')}; using ${install.replace(/\d+$/, '')}'s default order this run, with priorities and deadlines applied`,
    )
    const second = await runRunner(install, dir, ONE_WORKER[install], env)
    const runs = await readStore(dir)
    for (const { files } of runs) {
      const order = startOrder(files)
      expect(order[0]).toBe('tests/checkout-smoke.test.js')
      // The low-priority file runs last, even though it is short.
      expect(order.at(-1)).toBe('tests/skips.test.js')
    }
    // Within the normal class, the file with a deadline first (EDF), then the file that failed last time.
    expect(startOrder(runs[1]!.files).slice(1, 3)).toEqual(['tests/slow.test.js', 'tests/failing.test.js'])
    // slow.test.js has an impossible 1 ms deadline: both runs record the miss, the reporter says so.
    for (const { run } of runs) {
      expect(run.deadlines?.checked).toBe(2)
      expect(run.deadlines?.missed.map((miss) => [miss.fileId, miss.deadlineMs])).toEqual([['tests/slow.test.js', 1]])
    }
    expect(flakelineLines(second).some((line) => /^flakeline: tests\/slow\.test\.js missed its deadline: finished at .*, deadline 1 ms$/.test(line))).toBe(true)
    const stats = JSON.parse((await runCliProcess(['stats', '--json'], dir)).stdout) as { runs: Array<{ deadlinesChecked: number; deadlineMisses: Array<{ file: string }> }> }
    expect(stats.runs.map((run) => [run.deadlinesChecked, run.deadlineMisses.map((miss) => miss.file)])).toEqual([
      [2, ['tests/slow.test.js']],
      [2, ['tests/slow.test.js']],
    ])
    const plan = await runCliProcess(['plan', '--workers', '1'], dir, env)
    expect(plan.stdout).toMatch(/tests\/slow\.test\.js .* missed its deadline last run \(finished /)
  })
})

import { afterAll, describe, expect, test } from 'vitest'
import { createProject, flakelineLines, readStore, removeProjects, runCliProcess, runRunner, type RunnerInstall } from './harness.js'

afterAll(removeProjects)

/** One worker, so the order files start in is the order the sequencer gave. */
const ONE_WORKER: Record<RunnerInstall, string[]> = {
  jest29: ['--runInBand'],
  jest30: ['--runInBand'],
  vitest3: ['--maxWorkers=1', '--no-file-parallelism'],
  vitest4: ['--maxWorkers=1', '--no-file-parallelism'],
}

describe.each([
  ['jest30', 'jest-babel'],
  ['jest29', 'jest-babel'],
  ['vitest4', 'vitest'],
  ['vitest3', 'vitest'],
] as const)('%s ordering from history', (install, fixture) => {
  test('the first run uses the default order and says so; the next runs the failed file first, in the order `flakeline plan` shows', async () => {
    const dir = createProject(install, fixture)
    const env = { FLAKELINE_WORKERS: '1', FLAKELINE_GIT_CHANGES: '0' }
    const first = await runRunner(install, dir, ONE_WORKER[install], env)
    expect(flakelineLines(first).filter((line) => line.includes('no history yet'))).toHaveLength(1)
    const planned = JSON.parse((await runCliProcess(['plan', '--json'], dir, env)).stdout) as { policy: string; order: Array<{ file: string }> }
    const second = await runRunner(install, dir, ONE_WORKER[install], env)
    expect(flakelineLines(second).some((line) => line.includes('no history yet'))).toBe(false)

    const runs = await readStore(dir)
    expect(runs).toHaveLength(2)
    const started = runs[1]!.files.slice().sort((a, b) => a.startedAt - b.startedAt).map((file) => file.path)
    // What the first run recorded decides: the failed file first, then fail-fast by probability per predicted second.
    expect(started[0]).toBe('tests/failing.test.js')
    expect(planned.policy).toBe('auto')
    expect(started).toEqual(planned.order.map((file) => file.file))
  })
})

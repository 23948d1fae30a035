import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, readStore, removeProjects, runCliProcess, runRunner } from './harness.js'
import { importCostMs, writeHeavySuite } from './_heavy-suite.js'

afterAll(removeProjects)

// Files whose cost is mostly their imports. Their predicted durations must count it (before, Vitest's
// counted only the tests: 2.8 s predicted where a run took 25 s). The import's busy time is a floor
// set by construction, so these checks hold on a loaded machine; the benchmark measures how close
// predictions come (`npm run bench prediction`).

const COUNT = 6

describe.each([
  // Jest runs up to 20 files in band on its own when every known duration is under 1 s (its
  // `shouldRunInBand`; the durations are flakeline's predictions, as they would be Jest's cache): these
  // files' are, on a fast machine, and the run then has one worker. A memory limit for idle workers is
  // the one setting that keeps Jest on its workers.
  ['jest30', 'jest-babel', ['--maxWorkers=2', '--workerIdleMemoryLimit=4GB']],
  ['vitest4', 'vitest', ['--maxWorkers=2']],
] as const)('%s: a suite whose files are mostly imports', (install, fixture, args) => {
  test('each file\'s prediction counts its imports, the plan\'s makespan their sum over the workers, and worker start-up is recorded apart', async () => {
    const dir = createProject(install, fixture)
    rmSync(join(dir, 'tests'), { recursive: true, force: true })
    const paths = writeHeavySuite(dir, COUNT)
    for (let run = 0; run < 3; run++) {
      const result = await runRunner(install, dir, [...args], { FLAKELINE_GIT_CHANGES: '0' })
      expect(result.code, result.stdout + result.stderr).toBe(0)
    }
    const runs = await readStore(dir)
    for (const { run, files } of runs) {
      expect(run.workers).toBe(2)
      expect(files.map((file) => file.path).sort()).toEqual(paths)
      for (const file of files) expect(file.durationMs + (file.overheadMs ?? 0), file.path).toBeGreaterThanOrEqual(importCostMs(Number(file.path.slice(12, 14))) - 5)
      expect(files.filter((file) => file.firstOnWorker).length).toBeGreaterThanOrEqual(1)
      expect(run.startup).toBeDefined()
    }
    const plan = JSON.parse((await runCliProcess(['plan', '--json'], dir)).stdout) as { workers: number; predictedMakespanMs: number; order: Array<{ path: string; predictedMs: number }> }
    expect(plan.workers).toBe(2)
    for (const file of plan.order) expect(file.predictedMs, file.path).toBeGreaterThanOrEqual(importCostMs(Number(file.path.slice(12, 14))) - 5)
    const floor = paths.reduce((sum, _, i) => sum + importCostMs(i), 0) / 2
    expect(plan.predictedMakespanMs).toBeGreaterThanOrEqual(floor - 10)
  })
})

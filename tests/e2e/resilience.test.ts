import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, flakelineLines, readStore, removeProjects, runRunner } from './harness.js'

afterAll(removeProjects)

const PASSING_FILE = ['tests/math.test.js']

function corruptStore(dir: string): Buffer {
  mkdirSync(join(dir, '.flakeline'), { recursive: true })
  const garbage = Buffer.alloc(64 * 1024, 'not an lmdb file, just bytes ')
  writeFileSync(join(dir, '.flakeline', 'history.mdb'), garbage)
  return garbage
}

describe.each([
  ['vitest4', 'vitest', ['tests/math.test.js']],
  ['jest30', 'jest-babel', ['tests/math.test.js']],
] as const)('%s with a broken flakeline', (install, fixture, files) => {
  test('a corrupt store gives one warning with its code, the runner default order, and the run still passes', async () => {
    const dir = createProject(install, fixture)
    const garbage = corruptStore(dir)
    const result = await runRunner(install, dir, [...files])
    expect(result.code).toBe(0)
    const warnings = flakelineLines(result).filter((line) => line.includes('warning'))
    // One problem, one warning: not once per file, nor once by the sequencer and again by the reporter.
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/FLAKELINE_E_(STORE_CORRUPT|SEQUENCER)/)
    // Nothing is lost: the corrupt store is left as it was for the user to inspect.
    expect(readFileSync(join(dir, '.flakeline', 'history.mdb')).equals(garbage)).toBe(true)
  })

  test('strict mode turns the same problem into a failed run', async () => {
    const dir = createProject(install, fixture)
    corruptStore(dir)
    const result = await runRunner(install, dir, [...files], { FLAKELINE_STRICT: '1' })
    expect(result.code).not.toBe(0)
    expect(`${result.stdout}${result.stderr}`).toMatch(/FLAKELINE_E_(STORE_CORRUPT|SEQUENCER)/)
  })

  test('a bad option is named, the rest of the config applies, and the run is recorded', async () => {
    const dir = createProject(install, fixture)
    writeFileSync(join(dir, 'flakeline.config.json'), JSON.stringify({ historyLimit: 'lots', dir: 'history-here' }))
    const result = await runRunner(install, dir, [...files])
    expect(result.code).toBe(0)
    const warnings = flakelineLines(result).filter((line) => line.includes('FLAKELINE_E_CONFIG'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('historyLimit must be an integer from 1 to 100000, got "lots"')
    const runs = await readStore(dir, join(dir, 'history-here'))
    expect(runs).toHaveLength(1)
    expect(runs[0]!.run.status).toBe('passed')
  })

  test('FLAKELINE_ENABLED=0 leaves no trace', async () => {
    const dir = createProject(install, fixture)
    const result = await runRunner(install, dir, [...files], { FLAKELINE_ENABLED: '0' })
    expect(result.code).toBe(0)
    expect(flakelineLines(result)).toEqual([])
  })
})

describe('two runs writing one store at once', () => {
  test('both land, with distinct sequence numbers', async () => {
    const dir = createProject('vitest4', 'vitest')
    const store = join(dir, 'shared-store')
    const [a, b] = await Promise.all([
      runRunner('vitest4', dir, PASSING_FILE, { FLAKELINE_DIR: store }),
      runRunner('vitest4', dir, ['tests/text.test.js'], { FLAKELINE_DIR: store }),
    ])
    expect([a.code, b.code]).toEqual([0, 0])
    const runs = await readStore(dir, store)
    expect(runs).toHaveLength(2)
    expect(new Set(runs.map(({ run }) => run.seq)).size).toBe(2)
    expect(runs.map(({ files }) => files.map((file) => file.path)).flat().sort()).toEqual(['tests/math.test.js', 'tests/text.test.js'])
  })
})

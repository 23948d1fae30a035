import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, readStore, removeProjects, runCliProcess, runRunner } from './harness.js'

afterAll(removeProjects)

// What flakeline records must be each test's and each file's own history, as real projects have them.

describe.each([
  ['jest30', 'jest-babel'],
  ['vitest4', 'vitest'],
] as const)('%s: two tests with one full name in a file', (install, fixture) => {
  test('keep separate histories across three runs: one always passed, the other always failed', async () => {
    const dir = createProject(install, fixture)
    writeFileSync(
      join(dir, 'tests', 'twins.test.js'),
      `describe('twins', () => {\n  test('same name', () => { expect(1).toBe(1) })\n  test('same name', () => { expect(1).toBe(2) })\n})\n`,
    )
    for (let run = 0; run < 3; run++) await runRunner(install, dir, ['tests/twins.test.js'], { FLAKELINE_GIT_CHANGES: '0' })
    const runs = await readStore(dir)
    expect(runs).toHaveLength(3)
    for (const { files } of runs) {
      expect(files[0]!.tests.map((test) => [test.name, test.status])).toEqual([
        ['twins > same name', 'passed'],
        ['twins > same name (2)', 'failed'],
      ])
    }
    const history = JSON.parse((await runCliProcess(['history', 'tests/twins.test.js', '--json'], dir)).stdout) as {
      files: Array<{ tests: Array<{ name: string; runs: Array<{ status: string }> }> }>
    }
    expect(history.files[0]!.tests.map((test) => [test.name, test.runs.map((run) => run.status)])).toEqual([
      ['twins > same name', ['passed', 'passed', 'passed']],
      ['twins > same name (2)', ['failed', 'failed', 'failed']],
    ])
  })
})

describe('vitest4 with typecheck enabled', () => {
  test('each file is recorded once as itself and once as its type check, under distinct ids, and both are planned', async () => {
    const dir = createProject('vitest4', 'vitest')
    writeFileSync(
      join(dir, 'vitest.config.mjs'),
      `import { FlakelineSequencer } from 'flakeline/vitest'
export default {
  test: {
    include: ['tests/typed.test.ts'],
    typecheck: { enabled: true, include: ['tests/typed.test.ts'] },
    reporters: ['default', 'flakeline/vitest'],
    sequence: { sequencer: FlakelineSequencer },
  },
}
`,
    )
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', noEmit: true, types: [] }, include: ['tests'] }))
    writeFileSync(
      join(dir, 'tests', 'typed.test.ts'),
      `import { describe, expect, expectTypeOf, test } from 'vitest'\ndescribe('typed', () => {\n  test('adds', () => {\n    expectTypeOf(1 + 1).toEqualTypeOf<number>()\n    expect(1 + 1).toBe(2)\n  })\n})\n`,
    )
    for (let run = 0; run < 2; run++) {
      const result = await runRunner('vitest4', dir, [], { FLAKELINE_GIT_CHANGES: '0' })
      expect(result.code, result.stdout + result.stderr).toBe(0)
    }
    const runs = await readStore(dir)
    for (const { files } of runs) {
      expect(files.map((file) => file.fileId).sort()).toEqual(['tests/typed.test.ts', 'typecheck:tests/typed.test.ts'])
      expect(files.find((file) => file.fileId === 'tests/typed.test.ts')!.tests.map((test) => test.name)).toEqual(['typed > adds'])
    }
    const history = JSON.parse((await runCliProcess(['history', 'tests/typed.test.ts', '--json'], dir)).stdout) as { files: Array<{ fileId: string; runs: unknown[] }> }
    // Two runs each, never four: the type check no longer counts as another run of the file.
    expect(history.files.map((file) => [file.fileId, file.runs.length]).sort()).toEqual([
      ['tests/typed.test.ts', 2],
      ['typecheck:tests/typed.test.ts', 2],
    ])
    const plan = JSON.parse((await runCliProcess(['plan', '--json'], dir)).stdout) as { order: Array<{ file: string; path: string }> }
    expect(plan.order.map((file) => file.file).sort()).toEqual(['tests/typed.test.ts', 'typecheck:tests/typed.test.ts'])
  })
})

describe('vitest4: what changed since the last run', () => {
  test('an uncommitted but unchanged test file is not "changed"; an index.js change moves its folder\'s test.js forward', async () => {
    const dir = createProject('vitest4', 'vitest')
    writeFileSync(
      join(dir, 'vitest.config.mjs'),
      `import { FlakelineSequencer } from 'flakeline/vitest'\nexport default { test: { globals: true, include: ['tests/**/*.test.js', 'src/**/test.js'], setupFiles: ['./setup.js'], reporters: ['default', 'flakeline/vitest'], sequence: { sequencer: FlakelineSequencer } } }\n`,
    )
    for (const unit of ['endOfMonth', 'addDays', 'startOfWeek']) {
      mkdirSync(join(dir, 'src', unit), { recursive: true })
      writeFileSync(join(dir, 'src', unit, 'index.js'), `export const ${unit} = (n) => n + 1\n`)
      writeFileSync(join(dir, 'src', unit, 'test.js'), `import { ${unit} } from './index.js'\ntest('${unit}', () => { expect(${unit}(1)).toBe(2) })\n`)
    }
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    git('init', '-q')
    git('add', '.')
    git('commit', '-qm', 'suite')
    // A new test file that stays uncommitted across runs.
    writeFileSync(join(dir, 'tests', 'wip.test.js'), `test('work in progress', () => { expect(true).toBe(true) })\n`)
    for (let run = 0; run < 3; run++) await runRunner('vitest4', dir, [])
    const plan = async () => JSON.parse((await runCliProcess(['plan', '--json', '--workers', '1'], dir)).stdout) as { order: Array<{ path: string; reason: string }> }
    const before = await plan()
    const wip = before.order.find((file) => file.path === 'tests/wip.test.js')!
    expect(wip.reason).not.toContain('changed')
    expect(before.order.some((file) => file.reason.includes('changed since the last run'))).toBe(false)
    const at = (order: Array<{ path: string }>) => order.findIndex((file) => file.path === 'src/endOfMonth/test.js')
    writeFileSync(join(dir, 'src', 'endOfMonth', 'index.js'), `export const endOfMonth = (n) => n + 1 // edited\n`)
    const after = await plan()
    const moved = after.order[at(after.order)]!
    expect(moved.reason).toContain('its source changed since the last run (src/endOfMonth/index.js (same folder))')
    expect(at(after.order)).toBeLessThan(at(before.order))
    expect(after.order.find((file) => file.path === 'src/addDays/test.js')!.reason).not.toContain('changed')
    // The uncommitted file edited again is a change.
    writeFileSync(join(dir, 'tests', 'wip.test.js'), `test('work in progress', () => { expect(1).toBe(1) })\n`)
    expect((await plan()).order.find((file) => file.path === 'tests/wip.test.js')!.reason).toContain('changed since the last run')
  })
})

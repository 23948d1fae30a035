import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { INSTALLS_DIR, runnerDir } from '../../scripts/test-installs.mjs'
import { readStore } from './harness.js'

// What a new user does, step after step, in a project of their own outside this repository:
// install the packed flakeline beside their runner, commit the lock file, and let CI run `npm ci`
// on a clean checkout. Every install here talks to the registry (with npm's cache).

const users: string[] = []
afterAll(() => {
  for (const dir of users.splice(0)) rmSync(dir, { recursive: true, force: true })
})

interface Ran {
  code: number
  output: string
}

/** Runs a command with a plain environment: no npm_* settings inherited from `npm test`. */
function sh(command: string, args: string[], cwd: string): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, NO_COLOR: '1', CI: '1' }
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}\n${stderr}` })
    })
  })
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const ran = await sh(command, args, cwd)
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${ran.code} in ${cwd}:\n${ran.output.slice(-4000)}`)
  return ran.output
}

/** A new project with a package.json and one passing and one failing test file. */
function userProject(kind: 'vitest' | 'jest'): string {
  const dir = join(INSTALLS_DIR, 'users', `${kind}-${randomBytes(4).toString('hex')}`)
  users.push(dir)
  mkdirSync(join(dir, 'tests'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `user-${kind}`, private: true, ...(kind === 'vitest' ? { type: 'module' } : {}) }, null, 2))
  if (kind === 'vitest') {
    writeFileSync(
      join(dir, 'vitest.config.mjs'),
      `import { FlakelineSequencer } from 'flakeline/vitest'\nexport default { test: { reporters: ['default', 'flakeline/vitest'], sequence: { sequencer: FlakelineSequencer } } }\n`,
    )
    writeFileSync(join(dir, 'tests', 'a.test.js'), `import { test, expect } from 'vitest'\ntest('adds', () => expect(1 + 1).toBe(2))\n`)
    writeFileSync(join(dir, 'tests', 'b.test.js'), `import { test, expect } from 'vitest'\ntest('multiplies', () => expect(2 * 2).toBe(4))\n`)
  } else {
    writeFileSync(
      join(dir, 'jest.config.js'),
      `module.exports = { testSequencer: 'flakeline/jest-sequencer', reporters: ['default', 'flakeline/jest-reporter'] }\n`,
    )
    writeFileSync(join(dir, 'tests', 'a.test.js'), `test('adds', () => expect(1 + 1).toBe(2))\n`)
    writeFileSync(join(dir, 'tests', 'b.test.js'), `test('multiplies', () => expect(2 * 2).toBe(4))\n`)
  }
  return dir
}

async function runTests(kind: 'vitest' | 'jest', dir: string): Promise<Ran> {
  const entry = kind === 'vitest' ? ['node_modules/vitest/vitest.mjs', 'run'] : ['node_modules/jest/bin/jest.js', '--ci']
  return sh(process.execPath, entry, dir)
}

/** The run is recorded, the store keeps itself out of `git status`, and no QUIC binary came along. */
async function expectRecorded(kind: 'vitest' | 'jest', dir: string, runs: number): Promise<void> {
  const ran = await runTests(kind, dir)
  expect(ran.code, ran.output).toBe(0)
  expect(ran.output).toContain('flakeline: recorded run')
  expect(ran.output).not.toContain('warning')
  const stored = await readStore(dir)
  expect(stored).toHaveLength(runs)
  expect(stored.at(-1)!.run).toMatchObject({ files: 2, tests: 2, passed: 2 })
  expect(existsSync(join(dir, 'node_modules', '@matrixai'))).toBe(false)
}

describe.each([
  ['vitest', 'vitest@4'],
  ['jest', 'jest@30'],
] as const)('a %s project that installed the packed flakeline with npm', (kind, runner) => {
  test('npm ci on a clean checkout works with npm 11 and npm 10, and the runs are recorded', async () => {
    const dir = userProject(kind)
    await ok('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', runner, inject('flakelineTarball')], dir)
    await ok('git', ['init', '-q'], dir)
    await expectRecorded(kind, dir, 1)
    expect(await ok('git', ['status', '--porcelain', '--untracked-files=all', '.flakeline'], dir)).toBe('\n')

    rmSync(join(dir, 'node_modules'), { recursive: true, force: true })
    await ok('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], dir)
    await expectRecorded(kind, dir, 2)

    rmSync(join(dir, 'node_modules'), { recursive: true, force: true })
    const npm10 = await ok('npx', ['-y', 'npm@10', 'ci', '--no-audit', '--no-fund', '--prefer-offline'], dir)
    expect(npm10).not.toMatch(/EUSAGE|Missing: .* from lock file/)
    await expectRecorded(kind, dir, 3)
  })
})

describe('other package managers', () => {
  test('Yarn 1 installs it beside Vitest 4 and a run is recorded', async () => {
    const dir = userProject('vitest')
    await ok('npx', ['-y', 'yarn@1', 'add', '--dev', '--non-interactive', 'vitest@4', `file:${inject('flakelineTarball')}`], dir)
    await expectRecorded('vitest', dir, 1)
  })

  test("pnpm installs it beside Vitest 4; under pnpm's strict layout every import of the package resolves and a run is recorded", async () => {
    const dir = userProject('vitest')
    await ok('npx', ['-y', 'pnpm@10', 'add', '--save-dev', 'vitest@4', inject('flakelineTarball')], dir)
    await expectRecorded('vitest', dir, 1)
    // The hub entry point too: pnpm only lets flakeline see what it declares.
    const script = join(dir, 'hub.mjs')
    writeFileSync(script, `import { HubServer } from 'flakeline/hub'\nconst server = await HubServer.start({ port: 0 })\nconsole.log(server.wsUrl)\nawait server.close()\n`)
    expect(await ok(process.execPath, [script], dir)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/)
  })
})

describe('typings a jest.config.ts user writes', () => {
  test("the CommonJS entry points type as the classes themselves (export =), with the reporter's options", async () => {
    // The Jest 30 runner project has TypeScript and @types/node.
    const dir = join(runnerDir('jest30'), 'projects', `types-${randomBytes(4).toString('hex')}`)
    users.push(dir)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'typed-jest-config', private: true }))
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['jest.config.ts'] }),
    )
    writeFileSync(
      join(dir, 'jest.config.ts'),
      `import type { Config } from 'jest'
import FlakelineJestReporter = require('flakeline/jest-reporter')
import FlakelineJestSequencer = require('flakeline/jest-sequencer')

const options: FlakelineJestReporter.Options = { historyLimit: 500, policy: 'auto', deadlines: { 'tests/smoke/**': '20s' } }
class AnnotatingReporter extends FlakelineJestReporter {}
const sequencer: FlakelineJestSequencer = new FlakelineJestSequencer()
void AnnotatingReporter
void sequencer
// @ts-expect-error historyLimit is a number
const wrong: FlakelineJestReporter.Options = { historyLimit: 'lots' }
void wrong
const config: Config = {
  testSequencer: 'flakeline/jest-sequencer',
  reporters: ['default', ['flakeline/jest-reporter', options]],
}
export default config
`,
    )
    const tsc = await sh(process.execPath, [join(runnerDir('jest30'), 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], dir)
    expect(tsc.output.trim()).toBe('')
    expect(tsc.code).toBe(0)
  })
})

import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HistoryStore } from '../../src/store/history-store.js'
import type { FileRecord, RunRecord } from '../../src/records.js'
import { runnerDir } from '../../scripts/test-installs.mjs'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export type RunnerInstall = 'jest29' | 'jest30' | 'vitest3' | 'vitest4'
export type Fixture = 'vitest' | 'jest-babel' | 'jest-ts'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

const projects: string[] = []

/**
 * A fresh copy of a fixture project inside a runner's project outside the repository (so
 * `jest`/`vitest` and the packed `flakeline` resolve from its node_modules, as in a user's project,
 * and nothing resolves from this repository). The shared suite is copied in for the vitest and
 * jest-babel fixtures.
 */
export function createProject(runner: RunnerInstall, fixture: Fixture): string {
  const dir = join(runnerDir(runner), 'projects', `${fixture}-${randomBytes(4).toString('hex')}`)
  mkdirSync(dir, { recursive: true })
  if (fixture !== 'jest-ts') cpSync(join(REPO, 'fixtures', 'suite'), dir, { recursive: true })
  cpSync(join(REPO, 'fixtures', fixture), dir, { recursive: true })
  projects.push(dir)
  return dir
}

/** Removes every project this test file created. */
export function removeProjects(): void {
  for (const dir of projects.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** The environment of a child run: ours minus any FLAKELINE_* setting, plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }
  // Nor CI variables: a test that wants CI (shards split differently there) sets them itself.
  for (const name of Object.keys(env)) if (/^(FLAKELINE_|VITEST|GITHUB_|GITLAB|CI_|BUILDKITE|CIRCLE|JENKINS|TF_BUILD$|BUILD_|SYSTEM_|CI$|CONTINUOUS_INTEGRATION$)/.test(name)) delete env[name]
  delete env.NODE_OPTIONS
  return { ...env, ...extra }
}

/** Runs the real runner of `runner` in `dir` and collects its output and exit code. */
export function runRunner(runner: RunnerInstall, dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
  const modules = join(runnerDir(runner), 'node_modules')
  const entry = runner.startsWith('jest') ? [join(modules, 'jest', 'bin', 'jest.js'), '--ci'] : [join(modules, 'vitest', 'vitest.mjs'), 'run']
  return runNode([...entry, ...args], dir, env)
}

/** The `flakeline` command as npm installed it beside `runner` (what `npx flakeline` runs). */
export function installedCli(runner: RunnerInstall = 'vitest4'): string {
  return join(runnerDir(runner), 'node_modules', 'flakeline', 'bin', 'flakeline.js')
}

/** Runs the installed `flakeline` command in `dir`. */
export function runCliProcess(args: string[], dir: string, env: Record<string, string> = {}, runner: RunnerInstall = 'vitest4'): Promise<RunResult> {
  return runNode([installedCli(runner), ...args], dir, env)
}

function runNode(args: string[], cwd: string, env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

export interface StoredRun {
  run: RunRecord
  files: FileRecord[]
}

/** Every run in the project's store with its file records, oldest first. */
export async function readStore(dir: string, storeDir = join(dir, '.flakeline')): Promise<StoredRun[]> {
  const store = HistoryStore.open(storeDir, { historyLimit: 200, readOnly: true })
  try {
    return store.listRuns().map((run) => ({ run, files: store.recordsOfRun(run.seq) }))
  } finally {
    await store.close()
  }
}

/** Lines flakeline printed (warnings and notices), from either stream. */
export function flakelineLines(result: RunResult): string[] {
  return `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.startsWith('flakeline:'))
}

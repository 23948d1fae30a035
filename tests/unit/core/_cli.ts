import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CliIO } from '../../../src/cli/cli-io.js'
import { runCli } from '../../../src/cli/main.js'
import type { CodeState } from '../../../src/records.js'
import type { HistoryStore, StoreOpenOptions } from '../../../src/store/history-store.js'
import { fileResult, recordRun, testRecord } from './_fixtures.js'

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const HOUR = 3_600_000
export const COMMIT: CodeState = { commit: 'a'.repeat(40), dirty: false, branch: 'main', source: 'git' }

/** A project directory with a package.json, as the CLI finds its root. */
export function cliProject(dir: string): string {
  writeFileSync(join(dir, 'package.json'), '{"name":"fixture","version":"1.0.0"}')
  return dir
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process with collected output, an environment without FLAKELINE_* unless given. */
export async function cli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const io: CliIO = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env, cwd, isTTY: false }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}

/**
 * Three runs: `math > adds` passes, fails, then passes on retry; `math > subtracts` passes on retry
 * in run 1; io.test.ts fails in run 1 and sits out run 2.
 */
export async function seedHistory(open: (dir: string, options: StoreOpenOptions) => HistoryStore, dir: string): Promise<void> {
  const store = open(dir, { historyLimit: 200 })
  const retried = { attempts: 2, attemptOutcomes: ['failed' as const, 'passed' as const] }
  await recordRun(
    store,
    [
      fileResult('tests/math.test.ts', 'passed', 120, [testRecord('math > adds', 'passed'), testRecord('math > subtracts', 'passed', retried)], T0),
      fileResult('tests/io.test.ts', 'failed', 40, [testRecord('io > reads', 'failed'), testRecord('io > later', 'skipped')], T0 + 1),
    ],
    { id: 'run-1', startedAt: T0, code: COMMIT, shard: { index: 1, count: 2 } },
  )
  await recordRun(
    store,
    [fileResult('tests/math.test.ts', 'failed', 110, [testRecord('math > adds', 'failed'), testRecord('math > subtracts', 'passed')], T0 + HOUR)],
    { id: 'run-2', startedAt: T0 + HOUR, code: { ...COMMIT, dirty: true } },
  )
  await recordRun(
    store,
    [
      fileResult('tests/math.test.ts', 'passed', 100, [testRecord('math > adds', 'passed', retried), testRecord('math > subtracts', 'passed')], T0 + 2 * HOUR),
      fileResult('tests/io.test.ts', 'passed', 30.25, [testRecord('io > reads', 'passed'), testRecord('io > later', 'todo')], T0 + 2 * HOUR + 1),
    ],
    { id: 'run-3', startedAt: T0 + 2 * HOUR, runner: 'jest', runnerVersion: '30.5.2', code: { commit: null, dirty: false, branch: null, source: 'none' } },
  )
  await store.close()
}

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { safeText, table } from '../../../src/cli/format.js'
import { initialModel } from '../../../src/verdicts/meta-learner.js'
import type { Verdict } from '../../../src/verdicts/types.js'
import { cli, cliProject } from '../core/_cli.js'
import { fileResult, recordRun, testRecord, useScratch } from '../core/_fixtures.js'

const scratch = useScratch()
const NO_GIT = { FLAKELINE_GIT_CHANGES: '0' }

/** A name that would start a GitHub workflow command on its own line, and one 5,000 characters long. */
const INJECTED = 'adds\n::error::pwned\r\u001b[31mred\u2028'
const LONG = `long ${'x'.repeat(5_000)} end`
const FILE = 'tests/evil\n::warning::file.test.ts'

/** What every text command must hold to: no line a CI log reads as a command, no row padded past a screen. */
function expectSafe(output: string): void {
  for (const line of output.split('\n')) {
    expect(line.startsWith('::')).toBe(false)
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u2028]/)
    expect(line.length).toBeLessThan(700)
  }
  expect(output).not.toContain('x'.repeat(300))
}

async function hostileProject(): Promise<string> {
  const root = cliProject(scratch.dir())
  const store = scratch.open(join(root, '.flakeline'), { historyLimit: 50 })
  for (let i = 0; i < 3; i++) {
    await recordRun(
      store,
      [fileResult(FILE, i === 1 ? 'failed' : 'passed', 100, [testRecord(INJECTED, i === 1 ? 'failed' : 'passed'), testRecord(LONG, 'passed')], 1_000 + i)],
      { id: `run-${i}\n::error::run`, startedAt: 1_000 + i * 10_000 },
    )
  }
  const verdict = (test: string): Verdict => ({
    fileId: FILE,
    test,
    verdict: 'flaky',
    confidence: 0.9,
    evidence: [{ signal: 'passedOnRetry', value: 1, detail: `detail\n::error::${'y'.repeat(3000)}`, contribution: 1 }],
    since: 1,
    expectedAttempts: 1.5,
    flakyProbability: 0.9,
    reason: 'r\n::error::r',
  })
  await store.analysis.writeAnalysis([verdict(INJECTED), verdict(LONG)], [{ id: 'c', tests: [{ fileId: FILE, test: INJECTED }, { fileId: FILE, test: LONG }], similarity: 1, detail: 'fail\ntogether' }], { ...initialModel(), runs: 3 }, 3)
  await store.close()
  return root
}

describe('text output escapes and bounds names; --json keeps them whole', () => {
  test('safeText and table', () => {
    expect(safeText('a\nb\tc\r\u0000\u009b\u2028')).toBe('a\\nb\\tc\\r\\u0000\\u009b\\u2028')
    expect(safeText('abcdefghij', 5)).toBe('ab…ij')
    const rows = table([['name', 'n'], [INJECTED, '1'], [LONG, '2']])
    expect(rows.split('\n')).toHaveLength(3)
    expect(Math.max(...rows.split('\n').map((line) => line.length))).toBeLessThanOrEqual(203)
  })

  test.each([
    [['history', 'tests/evil\n::warning::file.test.ts']],
    [['history', 'adds']],
    [['history', 'long']],
    [['stats']],
    [['plan']],
    [['flaky']],
    [['explain', 'adds']],
    [['explain', 'long']],
  ])('%j', async (argv) => {
    const root = await hostileProject()
    const result = await cli(argv, root, NO_GIT)
    expect([result.code, result.stderr]).toEqual([0, ''])
    expectSafe(result.stdout)
    expect(result.stdout).toMatch(/adds\\n::error::pwned|long x+…x+ end|tests\/evil\\n::warning::file\.test\.ts|run-0\\n::error::run/)
  })

  test('a query that matches nothing is escaped in the error too', async () => {
    const root = await hostileProject()
    const result = await cli(['history', 'nothing\n::error::here'], root)
    expect(result.code).toBe(4)
    expect(result.stderr).toBe('flakeline: FLAKELINE_E_NOT_FOUND: no file or test in the history matches "nothing\\n::error::here"\n')
  })

  test('--json keeps the names whole', async () => {
    const root = await hostileProject()
    const history = JSON.parse((await cli(['history', 'long', '--json'], root)).stdout) as { tests: Array<{ name: string }> }
    // The store keys a test by at most about 1 KB of its name; --json shows all it kept.
    expect(history.tests.map((test) => [test.name.length > 1000, test.name.startsWith('long xxx')])).toEqual([[true, true]])
    const stats = JSON.parse((await cli(['stats', '--json'], root)).stdout) as { runs: Array<{ id: string }> }
    expect(stats.runs[0]!.id).toBe('run-0\n::error::run')
  })

  test('import names skipped runs escaped', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'h.ndjson'), `${JSON.stringify({ run: 'r\n::error::x', file: 'a.test.ts', status: 'passed' })}\n`)
    expect((await cli(['import', '--format', 'ndjson', 'h.ndjson'], root)).code).toBe(0)
    const again = await cli(['import', '--format', 'ndjson', 'h.ndjson'], root)
    expect(again.stdout).toContain('skipped 1 run already in the store: r\\n::error::x\n')
    expectSafe(again.stdout)
  })
})

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { NdjsonHistoryParser, readNdjsonHistory } from '../../../src/history-import/ndjson-history.js'
import { fileDurationOf, fileStatusOf, toImportedRun, type HistoryRun } from '../../../src/history-import/history-run.js'
import { IMPORT_LIMITS } from '../../../src/history-import/import-limits.js'
import { useScratch } from '../core/_fixtures.js'

const scratch = useScratch()

function parse(lines: Array<string | object>): HistoryRun[] {
  const parser = new NdjsonHistoryParser('h.ndjson')
  const runs: HistoryRun[] = []
  lines.forEach((line, i) => {
    const run = parser.push(typeof line === 'string' ? line : JSON.stringify(line), i + 1)
    if (run) runs.push(run)
  })
  const last = parser.end()
  if (last) runs.push(last)
  return runs
}

function problem(lines: Array<string | object>): { code: string; message: string } {
  try {
    parse(lines)
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message }
  }
  throw new Error('expected a problem')
}

describe('NDJSON history', () => {
  test('file lines and test lines, runs split where the run id changes', () => {
    const runs = parse([
      { run: 'r1', file: 'tests/a.test.ts', status: 'passed', durationMs: 120, commit: 'abc1234', startedAt: '2026-11-20T10:00:00Z' },
      { run: 'r1', file: './tests/b.test.ts', test: 'b > works', status: 'passed', durationMs: 5 },
      { run: 'r1', file: 'tests/b.test.ts', test: 'b > breaks', status: 'failed', durationMs: 7, message: 'expected 1 to be 2', attempts: 2 },
      '',
      { run: 'r2', file: 'tests\\a.test.ts', status: 'failed', durationMs: 130, startedAt: 1_800_000_000_000 },
    ])
    expect(runs.map((run) => [run.id, run.commit, run.startedAt, run.files.length])).toEqual([
      ['r1', 'abc1234', Date.parse('2026-11-20T10:00:00Z'), 2],
      ['r2', null, 1_800_000_000_000, 1],
    ])
    const b = runs[0]!.files[1]!
    expect([b.path, fileStatusOf(b), fileDurationOf(b)]).toEqual(['tests/b.test.ts', 'failed', 12])
    expect(b.tests[1]).toMatchObject({ name: 'b > breaks', attempts: 2, failureMessage: 'expected 1 to be 2' })
    expect(runs[1]!.files[0]!.path).toBe('tests/a.test.ts')
  })

  test('to the store form: counts, run status, attempt outcomes', () => {
    const [run] = parse([
      { run: 'r1', file: 'a.test.ts', test: 'x', status: 'passed', attempts: 3, durationMs: 1 },
      { run: 'r1', file: 'a.test.ts', test: 'y', status: 'todo' },
      { run: 'r1', file: 'b.test.ts', status: 'skipped' },
    ])
    const imported = toImportedRun(run!, 1_000)
    expect(imported.run).toMatchObject({ id: 'r1', runner: 'import', runnerVersion: 'ndjson', status: 'passed', files: 2, tests: 2, passed: 1, todo: 1, flaky: 1, startedAt: 1_000 })
    expect(imported.files[0]!.tests[0]!.attemptOutcomes).toEqual(['failed', 'failed', 'passed'])
    expect(imported.files[1]).toMatchObject({ fileId: 'b.test.ts', status: 'skipped', durationMs: 0 })
  })

  test.each([
    [['{"run": "r1", "file": "a", "status": "passed"'], ErrorCodes.IMPORT, /^h\.ndjson:1: not JSON \(/],
    [['[1, 2]'], ErrorCodes.IMPORT, /^h\.ndjson:1: expected an object, got an array$/],
    [[{ file: 'a', status: 'passed' }], ErrorCodes.IMPORT, /^h\.ndjson:1: "run" is missing$/],
    [[{ run: 'r', file: '', status: 'passed' }], ErrorCodes.IMPORT, /^h\.ndjson:1: "file" must be a non-empty string, got ""$/],
    [[{ run: 'r', file: 'a', status: 'ok' }], ErrorCodes.IMPORT, /^h\.ndjson:1: "status" must be one of passed, failed, skipped, got "ok"$/],
    [[{ run: 'r', file: 'a', status: 'todo' }], ErrorCodes.IMPORT, /"status" must be one of passed, failed, skipped, got "todo"/],
    [[{ run: 'r', file: 'a', status: 'passed', durationMs: -1 }], ErrorCodes.IMPORT, /"durationMs" must be a number of milliseconds >= 0, got -1/],
    [[{ run: 'r', file: 'a', status: 'passed', durationMs: '12' }], ErrorCodes.IMPORT, /"durationMs" must be a number of milliseconds >= 0, got "12"/],
    [[{ run: 'r', file: 'a', status: 'passed', durationMs: 1e12 }], ErrorCodes.IMPORT_LIMIT, /"durationMs" is more than a week/],
    [[{ run: 'r', file: 'a', status: 'passed', attempts: 1.5 }], ErrorCodes.IMPORT, /"attempts" must be an integer from 0 to 255, got 1.5/],
    [[{ run: 'r', file: 'a', status: 'passed', startedAt: 'yesterday' }], ErrorCodes.IMPORT, /"startedAt" must be epoch milliseconds or an ISO date from 1970 to 9999, got "yesterday"/],
    [[{ run: 'r', file: 'x'.repeat(5000), status: 'passed' }], ErrorCodes.IMPORT_LIMIT, /"file" is longer than 1000 characters/],
    [[{ run: 'r1', file: 'a', status: 'passed' }, { run: 'r2', file: 'a', status: 'passed' }, { run: 'r1', file: 'b', status: 'passed' }], ErrorCodes.IMPORT, /^h\.ndjson:3: lines of run "r1" are not consecutive/],
    [[{ run: 'r', file: 'a', status: 'passed' }, { run: 'r', file: 'a', status: 'failed' }], ErrorCodes.IMPORT, /^h\.ndjson:2: file "a" appears twice in run "r"/],
    [[{ run: 'r', file: 'a', test: 't', status: 'passed' }, { run: 'r', file: 'a', test: 't', status: 'passed' }], ErrorCodes.IMPORT, /test "t" of "a" appears twice/],
    [[{ run: 'r', file: 'a', status: 'passed', commit: 'aaa' }, { run: 'r', file: 'b', status: 'passed', commit: 'bbb' }], ErrorCodes.IMPORT, /run "r" has two commits/],
  ])('%j → %s', (lines, code, message) => {
    const found = problem(lines)
    expect(found.code).toBe(code)
    expect(found.message).toMatch(message)
  })

  test('__proto__ and constructor keys do nothing', () => {
    const [run] = parse(['{"run": "r", "file": "a", "status": "passed", "__proto__": {"polluted": true}, "constructor": 1}'])
    expect(run!.files).toHaveLength(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('a file of one endless line stops at the line limit without reading it whole', async () => {
    const file = join(scratch.dir(), 'long.ndjson')
    writeFileSync(file, `${JSON.stringify({ run: 'r', file: 'a', status: 'passed' })}\n${'x'.repeat(IMPORT_LIMITS.lineBytes + 10)}`)
    const read = async () => {
      for await (const _ of readNdjsonHistory(file));
    }
    await expect(read()).rejects.toMatchObject({ code: ErrorCodes.IMPORT_LIMIT, message: `${file}:2: line longer than ${IMPORT_LIMITS.lineBytes} bytes` })
  })

  test('CRLF line ends, a BOM and a last line without a newline are read', async () => {
    const file = join(scratch.dir(), 'crlf.ndjson')
    writeFileSync(file, `\uFEFF${JSON.stringify({ run: 'r', file: 'a', status: 'passed' })}\r\n${JSON.stringify({ run: 'r', file: 'b', status: 'failed' })}`)
    const runs: HistoryRun[] = []
    for await (const run of readNdjsonHistory(file)) runs.push(run)
    expect(runs.map((run) => run.files.map((f) => [f.path, f.status]))).toEqual([[['a', 'passed'], ['b', 'failed']]])
  })
})

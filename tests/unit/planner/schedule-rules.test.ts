import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { readPragmas } from '../../../src/core/read-pragmas.js'
import { describeDuration, parseDuration } from '../../../src/scheduling/duration-text.js'
import { compileScheduleRules, scheduleOf } from '../../../src/scheduling/file-schedule.js'
import { compileGlob, globProblem, matchesGlob } from '../../../src/scheduling/glob.js'
import { PRAGMA_READ_BYTES, leadingComments, parsePragmas } from '../../../src/scheduling/pragmas.js'
import { useScratch } from '../core/_fixtures.js'

const scratch = useScratch()

describe('parseDuration', () => {
  test.each([
    ['20s', 20_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['2m', 120_000],
    ['2min', 120_000],
    [' 3 s ', 3_000],
    ['1h', 3_600_000],
    [250, 250],
  ])('%j → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))

  test.each(['', 's', '20', '-5s', '0s', '1d', '20 seconds', '1e3ms', '25h', null, {}, Infinity, 0, -1])('%j is refused', (text) => {
    expect(parseDuration(text)).toBeNull()
  })

  test('for people', () => {
    expect([describeDuration(840), describeDuration(2_400), describeDuration(185_000)]).toEqual(['840 ms', '2.4 s', '3 min 5 s'])
  })
})

describe('globs', () => {
  test.each([
    ['tests/smoke/**', 'tests/smoke/login.test.ts', true],
    ['tests/smoke/**', 'tests/smoke/deep/a.test.ts', true],
    ['tests/smoke/**', 'tests/smokey/a.test.ts', false],
    ['**/*.smoke.test.ts', 'a/b/c.smoke.test.ts', true],
    ['**/*.smoke.test.ts', 'c.smoke.test.ts', true],
    ['tests/*.test.ts', 'tests/a/b.test.ts', false],
    ['tests/?.test.ts', 'tests/a.test.ts', true],
    ['tests/{api,db}/**', 'tests/db/x.test.ts', true],
    ['tests/{api,db}/**', 'tests/ui/x.test.ts', false],
    ['tests/[ab]*.ts', 'tests/b1.ts', true],
    ['tests/[!ab]*.ts', 'tests/b1.ts', false],
    ['./tests/a.test.ts', 'tests/a.test.ts', true],
    ['tests/a+b(1).test.ts', 'tests/a+b(1).test.ts', true],
    ['tests/a.test.ts', 'tests/aXtest.ts', false],
  ])('%s vs %s → %s', (glob, path, expected) => expect(matchesGlob(compileGlob(glob), path)).toBe(expected))

  test.each([
    ['', 'is empty'],
    ['tests/{a,b', 'has an unclosed "{"'],
    ['tests/a}', 'has an unmatched "}"'],
    ['tests/{a,{b}}', 'nests braces'],
    ['tests/[ab', 'has an unclosed "["'],
  ])('%j: %s', (glob, problem) => {
    expect(globProblem(glob)).toBe(problem)
    expect(() => compileGlob(glob)).toThrow(problem)
  })
})

describe('pragmas from the leading comments', () => {
  test('a Jest-style docblock', () => {
    const source = '/**\n * Checkout smoke tests.\n * @flakeline-priority critical\n * @flakeline-deadline 20s\n */\nimport { x } from "y"\n'
    expect(parsePragmas(source)).toEqual({ priority: 'critical', deadlineMs: 20_000, problems: [] })
  })

  test('line comments, a shebang and a BOM before it; pragmas in code are ignored', () => {
    const source = '\uFEFF#!/usr/bin/env node\n// @vitest-environment node\n// @flakeline-priority high\n\nconst s = "@flakeline-priority low"\n// @flakeline-deadline 1s\n'
    expect(parsePragmas(source)).toEqual({ priority: 'high', deadlineMs: null, problems: [] })
    expect(leadingComments(source)).not.toContain('const s')
  })

  test('bad values and unknown pragmas are problems with their line, never errors', () => {
    const source = '/**\n * @flakeline-priority urgent\n * @flakeline-deadline soon\n * @flakeline-timeout 3s\n */'
    expect(parsePragmas(source)).toEqual({
      priority: null,
      deadlineMs: null,
      problems: [
        'line 2: @flakeline-priority must be one of critical, high, normal, low, got "urgent"',
        'line 3: @flakeline-deadline must be a duration like "20s", "500ms" or "2m", got "soon"',
        'line 4: unknown pragma @flakeline-timeout (known: @flakeline-priority, @flakeline-deadline)',
      ],
    })
  })

  test('no comments, or code first: nothing', () => {
    expect(parsePragmas('import x from "y"\n/** @flakeline-priority critical */')).toEqual({ priority: null, deadlineMs: null, problems: [] })
    expect(parsePragmas('')).toEqual({ priority: null, deadlineMs: null, problems: [] })
  })

  test('a comment cut at the read limit still yields what was read', () => {
    expect(parsePragmas(`/**\n * @flakeline-priority low\n${' *'.repeat(5000)}`).priority).toBe('low')
  })
})

describe('readPragmas reads files cheaply and safely', () => {
  test('a regular file, only its first bytes', () => {
    const dir = scratch.dir()
    const file = join(dir, 'a.test.ts')
    writeFileSync(file, `/** @flakeline-deadline 2m */\n${'x'.repeat(1_000_000)}`)
    expect(readPragmas(file)).toEqual({ priority: null, deadlineMs: 120_000, problems: [] })
    const late = join(dir, 'late.test.ts')
    writeFileSync(late, `/*${' '.repeat(PRAGMA_READ_BYTES)} @flakeline-priority critical */`)
    expect(readPragmas(late)).toBeNull()
  })

  test('a missing file, a directory and a FIFO have no pragmas, and a FIFO does not block', () => {
    const dir = scratch.dir()
    expect(readPragmas(join(dir, 'missing.test.ts'))).toBeNull()
    mkdirSync(join(dir, 'folder.test.ts'))
    expect(readPragmas(join(dir, 'folder.test.ts'))).toBeNull()
    const fifo = join(dir, 'fifo.test.ts')
    execFileSync('mkfifo', [fifo])
    expect(readPragmas(fifo)).toBeNull()
  })
})

describe('scheduleOf: pragma beats config; the first matching glob wins', () => {
  const rules = compileScheduleRules({
    priorities: { 'tests/smoke/**': 'critical', 'tests/**': 'low' },
    deadlines: { 'tests/smoke/**': '20s', 'tests/smoke/slow/**': '2m' },
  })

  test('config globs in the order written', () => {
    expect(scheduleOf('tests/smoke/slow/a.test.ts', rules, null)).toEqual({
      priority: 'critical',
      prioritySource: 'priorities["tests/smoke/**"]',
      deadlineMs: 20_000,
      deadlineSource: 'deadlines["tests/smoke/**"]',
    })
    expect(scheduleOf('tests/unit/a.test.ts', rules, null)).toMatchObject({ priority: 'low', deadlineMs: null, deadlineSource: null })
    expect(scheduleOf('src/a.test.ts', rules, null)).toEqual({ priority: 'normal', prioritySource: null, deadlineMs: null, deadlineSource: null })
  })

  test('the file\'s own pragma wins', () => {
    expect(scheduleOf('tests/smoke/a.test.ts', rules, { priority: 'high', deadlineMs: 5_000, problems: [] })).toEqual({
      priority: 'high',
      prioritySource: 'pragma',
      deadlineMs: 5_000,
      deadlineSource: 'pragma',
    })
  })
})

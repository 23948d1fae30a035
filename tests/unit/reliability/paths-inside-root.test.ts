import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { junitRun } from '../../../src/history-import/junit-history.js'
import { NdjsonHistoryParser } from '../../../src/history-import/ndjson-history.js'
import { toImportedRun } from '../../../src/history-import/history-run.js'
import { relativePathProblem } from '../../../src/identity.js'
import { pathInsideRoot, readPragmasInside } from '../../../src/core/read-pragmas.js'
import { parsePragmas } from '../../../src/scheduling/pragmas.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { cli, cliProject } from '../core/_cli.js'
import { useScratch } from '../core/_fixtures.js'

const scratch = useScratch()
const ROOT = '/work/project'
const NO_GIT = { FLAKELINE_GIT_CHANGES: '0' }

function failure(action: () => unknown): { code: string; message: string } {
  try {
    action()
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message }
  }
  throw new Error('expected a problem')
}

/** A project in `parent`, so files beside it are outside its root. */
function subProject(parent: string): string {
  mkdirSync(join(parent, 'project'))
  return cliProject(join(parent, 'project'))
}

const junit = (file: string): string => `<testsuites>\n<testsuite name="s">\n<testcase name="t" file="${file}"/>\n</testsuite>\n</testsuites>`

describe('one path check for bundles and imports (relativePathProblem)', () => {
  test.each([
    ['tests/a.test.ts', null],
    ['a', null],
    ['', /is empty/],
    ['../x', /leaves the root \("..\/x"\)/],
    ['tests/../../etc/passwd', /leaves the root/],
    ['/etc/passwd', /is absolute \("\/etc\/passwd"\)/],
    ['C:/x.ts', /is absolute/],
    ['tests\\a.ts', /backslash/],
    ['tests//a.ts', /is not a normalised relative path/],
    ['./a.ts', /is not a normalised relative path/],
    ['a\nb', /control character: "a\\nb"/],
    ['a\u0085b', /control character: "a\\u0085b"/],
  ])('%j', (path, expected) => {
    const problem = relativePathProblem(path, 1000)
    if (expected === null) expect(problem).toBeNull()
    else expect(problem).toMatch(expected)
  })

  test('a path longer than the bound', () => {
    expect(relativePathProblem('x'.repeat(1001), 1000)).toBe('is longer than 1000 characters (1001)')
  })
})

describe('imports keep paths inside the root', () => {
  test.each([
    ['../../etc/passwd', /^report\.xml:3: the test file path leaves the root \("..\/..\/etc\/passwd"\)$/],
    ['/etc/passwd', /^report\.xml:3: the test file path "\/etc\/passwd" is outside the package root "\/work\/project"; imported paths must stay inside it$/],
    ['/work/project-other/a.test.ts', /is outside the package root/],
    ['/work/project', /is outside the package root/],
    ['tests/a&#10;b.test.ts', /^report\.xml:3: the test file path contains a control character: "tests\/a\\nb.test.ts"$/],
    ['tests//a.test.ts', /^report\.xml:3: the test file path is not a normalised relative path/],
    ['tests/./a.test.ts', /is not a normalised relative path/],
  ])('JUnit file=%j is refused with FLAKELINE_E_IMPORT naming the report and line', (file, message) => {
    const problem = failure(() => junitRun([{ name: 'report.xml', xml: junit(file) }], { root: ROOT }))
    expect(problem.code).toBe(ErrorCodes.IMPORT)
    expect(problem.message).toMatch(message)
  })

  test('JUnit: an absolute path inside the root is made relative, ./ and backslashes as before', () => {
    const files = (file: string) => junitRun([{ name: 'r.xml', xml: junit(file) }], { root: ROOT }).files.map((f) => f.path)
    expect(files('/work/project/tests/a.test.ts')).toEqual(['tests/a.test.ts'])
    expect(files('./tests/a.test.ts')).toEqual(['tests/a.test.ts'])
    expect(files('tests\\win\\a.test.ts')).toEqual(['tests/win/a.test.ts'])
  })

  test('JUnit: a suite name or class name that leaves the root is refused the same way', () => {
    const xml = '<testsuite name="../secret/x.test.ts"><testcase name="t"/></testsuite>'
    expect(failure(() => junitRun([{ name: 'r.xml', xml }], { root: ROOT }))).toMatchObject({ code: ErrorCodes.IMPORT, message: expect.stringMatching(/^r\.xml:1: the test file path leaves the root/) })
  })

  test.each([
    [{ file: '../x' }, /^h\.ndjson:1: the test file path leaves the root \("..\/x"\)$/],
    [{ file: '/etc/passwd' }, /^h\.ndjson:1: the test file path "\/etc\/passwd" is outside the package root/],
    [{ file: 'a\u0007b' }, /control character/],
    [{ file: 'tests//a.ts' }, /is not a normalised relative path/],
  ])('NDJSON %j is refused with FLAKELINE_E_IMPORT naming the line', (fields, message) => {
    const parser = new NdjsonHistoryParser('h.ndjson', { root: ROOT })
    const problem = failure(() => parser.push(JSON.stringify({ run: 'r', status: 'passed', ...fields }), 1))
    expect(problem.code).toBe(ErrorCodes.IMPORT)
    expect(problem.message).toMatch(message)
  })

  test('NDJSON: absolute paths inside the root are made relative; without a root every absolute path is refused', () => {
    const parser = new NdjsonHistoryParser('h.ndjson', { root: ROOT })
    parser.push(JSON.stringify({ run: 'r', file: '/work/project/tests/a.test.ts', status: 'passed' }), 1)
    expect(parser.end()!.files.map((file) => file.path)).toEqual(['tests/a.test.ts'])
    const rootless = new NdjsonHistoryParser('h.ndjson')
    expect(failure(() => rootless.push(JSON.stringify({ run: 'r', file: '/work/project/a.ts', status: 'passed' }), 1)).code).toBe(ErrorCodes.IMPORT)
  })

  test('flakeline import of a JUnit report naming ../../etc/passwd: FLAKELINE_E_IMPORT, nothing imported', async () => {
    const root = cliProject(scratch.dir())
    writeFileSync(join(root, 'report.xml'), `<testsuites>\n<testsuite name="ok"><testcase name="fine" file="tests/a.test.ts"/></testsuite>\n<testsuite name="s"><testcase name="t" file="../../etc/passwd"/></testsuite>\n</testsuites>`)
    const result = await cli(['import', '--format', 'junit', 'report.xml'], root)
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'flakeline: FLAKELINE_E_IMPORT: report.xml:3: the test file path leaves the root ("../../etc/passwd")\n' })
    expect(HistoryStore.exists(join(root, '.flakeline'))).toBe(false)
  })

  test('flakeline import of NDJSON with "file": "../x" on line 3: nothing imported', async () => {
    const root = cliProject(scratch.dir())
    const lines = [
      { run: 'r1', file: 'tests/a.test.ts', status: 'passed' },
      { run: 'r2', file: 'tests/a.test.ts', status: 'passed' },
      { run: 'r2', file: '../x', status: 'passed' },
    ]
    writeFileSync(join(root, 'h.ndjson'), lines.map((line) => JSON.stringify(line)).join('\n'))
    const result = await cli(['import', '--format', 'ndjson', 'h.ndjson'], root)
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('flakeline: FLAKELINE_E_IMPORT: h.ndjson:3: the test file path leaves the root ("../x")\n')
    expect(HistoryStore.exists(join(root, '.flakeline'))).toBe(false)
  })
})

describe('plan never reads a file outside the root', () => {
  test('pathInsideRoot is lexical after resolving', () => {
    expect(pathInsideRoot('/r', 'tests/a.ts')).toBe('/r/tests/a.ts')
    expect(pathInsideRoot('/r', 'tests/../a.ts')).toBe('/r/a.ts')
    expect(pathInsideRoot('/r', '../etc/shadow')).toBeNull()
    expect(pathInsideRoot('/r', 'tests/../../etc/shadow')).toBeNull()
    expect(pathInsideRoot('/r', '/etc/shadow')).toBeNull()
    expect(pathInsideRoot('/r', '/r/a.ts')).toBe('/r/a.ts')
    expect(pathInsideRoot('/r', '')).toBeNull()
    expect(pathInsideRoot('/r', '..')).toBeNull()
    expect(pathInsideRoot('/r', '..a/x.ts')).toBe('/r/..a/x.ts')
    expect(pathInsideRoot('/r', 'a\u0000b')).toBeNull()
  })

  test('a store naming ../outside files: plan skips them with one coded warning that echoes nothing of them', async () => {
    const parent = scratch.dir()
    const root = subProject(parent)
    mkdirSync(join(root, 'tests'))
    writeFileSync(join(parent, 'secret.test.ts'), '// @flakeline-priority SECRET_VALUE_42\n// @flakeline-deadline hunter2hunter2\n')
    writeFileSync(join(parent, 'other.test.ts'), '// @flakeline-priority TOKEN_99\n')
    writeFileSync(join(root, 'tests', 'a.test.ts'), '// @flakeline-priority high\n')
    // A store written by something that skipped the checks (an old flakeline, a copied store).
    const store = HistoryStore.open(join(root, '.flakeline'), { historyLimit: 50 })
    const file = (path: string) => ({ fileId: path, project: '', path, status: 'passed' as const, durationMs: 100, startedAt: 1, fileError: null, tests: [] })
    const run = toImportedRun({ id: 'r1', commit: null, startedAt: 1, source: 'ndjson', files: [] }, 1)
    await store.importRuns([{ run: run.run, files: [file('tests/a.test.ts'), file('../secret.test.ts'), file('../other.test.ts')] }])
    await store.close()
    const result = await cli(['plan', '--json'], root, NO_GIT)
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('flakeline: warning FLAKELINE_E_PRAGMA: 2 planned file paths lead outside the package root, so their pragmas were not read: "../other.test.ts" and 1 more\n')
    expect(result.stderr + result.stdout).not.toMatch(/SECRET_VALUE_42|hunter2|TOKEN_99/)
    const order = (JSON.parse(result.stdout) as { order: Array<{ file: string; priority: string }> }).order
    expect(order.find((entry) => entry.file === 'tests/a.test.ts')?.priority).toBe('high')
    expect(order.filter((entry) => entry.file.startsWith('../')).map((entry) => entry.priority)).toEqual(['normal', 'normal'])
    expect(readPragmasInside(root, '../secret.test.ts')).toBeNull()
  })

  test('flakeline plan ../x.test.ts on the command line is planned, never read', async () => {
    const parent = scratch.dir()
    const root = subProject(parent)
    writeFileSync(join(parent, 'x.test.ts'), '// @flakeline-priority SECRET_VALUE_42\n')
    writeFileSync(join(root, 'h.ndjson'), `${JSON.stringify({ run: 'r', file: 'a.test.ts', status: 'passed', durationMs: 5 })}\n`)
    expect((await cli(['import', '--format', 'ndjson', 'h.ndjson'], root)).code).toBe(0)
    const result = await cli(['plan', '../x.test.ts'], root, NO_GIT)
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^flakeline: warning FLAKELINE_E_PRAGMA: 1 planned file path leads outside the package root, so its pragmas were not read: "..\/x.test.ts"\n$/)
    expect(result.stderr + result.stdout).not.toContain('SECRET_VALUE_42')
  })
})

describe('pragma problems never echo what a file holds', () => {
  test.each([
    ['// @flakeline-priority SECRET_VALUE_42', 'line 1: @flakeline-priority must be one of critical, high, normal, low, got a value of 15 characters (not shown)'],
    ['// @flakeline-deadline root:$6$abc', 'line 1: @flakeline-deadline must be a duration like "20s", "500ms" or "2m", got a value of 11 characters (not shown)'],
    ['// @flakeline-priority\n', 'line 1: @flakeline-priority must be one of critical, high, normal, low, got no value'],
    ['// @flakeline-priority urgent', 'line 1: @flakeline-priority must be one of critical, high, normal, low, got "urgent"'],
    ['// @flakeline-deadline soonish', 'line 1: @flakeline-deadline must be a duration like "20s", "500ms" or "2m", got "soonish"'],
  ])('%j', (source, problem) => {
    expect(parsePragmas(source).problems).toEqual([problem])
  })

  test('a long unknown pragma name is cut', () => {
    expect(parsePragmas(`// @flakeline-${'x'.repeat(5000)}`).problems).toEqual([`line 1: unknown pragma @flakeline-${'x'.repeat(23)}… (known: @flakeline-priority, @flakeline-deadline)`])
  })

  test('a pragma warning from plan names the file, line and pragma only', async () => {
    const root = cliProject(scratch.dir())
    mkdirSync(join(root, 'tests'))
    writeFileSync(join(root, 'tests', 'a.test.ts'), '/**\n * @flakeline-priority SECRET_VALUE_42\n */\n')
    writeFileSync(join(root, 'h.ndjson'), `${JSON.stringify({ run: 'r', file: 'tests/a.test.ts', status: 'passed', durationMs: 5 })}\n`)
    expect((await cli(['import', '--format', 'ndjson', 'h.ndjson'], root)).code).toBe(0)
    const result = await cli(['plan'], root, NO_GIT)
    expect(result.stderr).toBe('flakeline: warning FLAKELINE_E_PRAGMA: tests/a.test.ts line 2: @flakeline-priority must be one of critical, high, normal, low, got a value of 15 characters (not shown)\n')
    expect(readFileSync(join(root, 'tests', 'a.test.ts'), 'utf8')).toContain('SECRET_VALUE_42')
  })
})

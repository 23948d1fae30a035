import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { FILE_ERROR_CASE, renderJunit, xmlAttribute, xmlText } from '../../../src/ci/junit-out.js'
import { junitRun } from '../../../src/history-import/junit-history.js'
import { parseXml, type XmlElement } from '../../../src/history-import/xml-reader.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { cli } from '../core/_cli.js'
import { fileResult, recordRun, testRecord, useScratch } from '../core/_fixtures.js'
import { packageRoot, scenario } from './_store.js'

const scratch = useScratch()

function all(element: XmlElement, name: string): XmlElement[] {
  return [...(element.name === name ? [element] : []), ...element.children.flatMap((child) => all(child, name))]
}

describe('XML escaping', () => {
  test('markup, quotes and line breaks; characters XML cannot hold become U+FFFD', () => {
    expect(xmlText('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d')
    expect(xmlAttribute('say "hi"\n\tnow\r')).toBe('say &quot;hi&quot;&#10;&#9;now&#13;')
    expect(xmlText('nul \u0000 bell \u0007 ffff \uFFFF lone \uD800 pair 😀')).toBe('nul \uFFFD bell \uFFFD ffff \uFFFD lone \uFFFD pair 😀')
  })
})

describe('JUnit output', () => {
  test('parses with the repository XML reader: suites per file, Surefire flakyFailure and rerunFailure, skipped, file errors', async () => {
    const root = scratch.dir()
    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 50 })
    const run = await recordRun(store, [
      fileResult('tests/net.test.ts', 'passed', 250, [
        testRecord('net > reconnects', 'passed', { attempts: 3, attemptOutcomes: ['failed', 'failed', 'passed'], retryErrors: ['Error: reset', 'Error: reset again'], location: { line: 5, column: 3 }, durationMs: 120 }),
        testRecord('net > skips "quoted" <things> & more', 'skipped'),
        testRecord('net > later', 'todo'),
      ]),
      fileResult('tests/tax.test.ts', 'failed', 80, [testRecord('tax > adds', 'failed', { attempts: 2, attemptOutcomes: ['failed', 'failed'], retryErrors: ['AssertionError: first'], failureMessage: 'AssertionError: expected 1 to be 2\n    at tax.test.ts:3:5' })]),
      { ...fileResult('tests/broken.test.ts', 'failed', 3, []), fileError: 'SyntaxError: Unexpected token' },
    ])
    const xml = renderJunit(run, store.recordsOfRun(run.seq))
    const root$ = parseXml(xml, 'flakeline.xml')
    expect(root$.name).toBe('testsuites')
    expect(root$.attributes).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '2' })
    expect(all(root$, 'testsuite').map((suite) => [suite.attributes.name, suite.attributes.tests])).toEqual([
      ['tests/broken.test.ts', '1'],
      ['tests/net.test.ts', '3'],
      ['tests/tax.test.ts', '1'],
    ])
    const cases = all(root$, 'testcase')
    const net = cases.find((testcase) => testcase.attributes.name === 'net > reconnects')!
    expect(net.attributes).toEqual({ name: 'net > reconnects', classname: 'tests/net.test.ts', file: 'tests/net.test.ts', line: '5', time: '0.120' })
    expect(net.children.map((child) => [child.name, child.attributes.message, child.children[0]?.name, child.children[0]?.text])).toEqual([
      ['flakyFailure', 'Error: reset', 'stackTrace', 'Error: reset'],
      ['flakyFailure', 'Error: reset again', 'stackTrace', 'Error: reset again'],
    ])
    const tax = cases.find((testcase) => testcase.attributes.name === 'tax > adds')!
    expect(tax.children.map((child) => [child.name, child.attributes.type, child.attributes.message])).toEqual([
      ['failure', 'AssertionError', 'AssertionError: expected 1 to be 2'],
      ['rerunFailure', 'AssertionError', 'AssertionError: first'],
    ])
    expect(tax.children[0]!.text).toBe('AssertionError: expected 1 to be 2\n    at tax.test.ts:3:5')
    expect(cases.find((testcase) => testcase.attributes.name!.startsWith('net > skips'))!.attributes.name).toBe('net > skips "quoted" <things> & more')
    expect(cases.find((testcase) => testcase.attributes.name === 'net > later')!.children[0]!.attributes).toEqual({ message: 'todo' })
    const broken = cases.find((testcase) => testcase.attributes.name === FILE_ERROR_CASE)!
    expect(broken.children[0]).toMatchObject({ name: 'error', attributes: { message: 'SyntaxError: Unexpected token', type: 'SyntaxError' } })
  })

  test('hostile names survive: newlines in attributes, control characters replaced, 10,000 characters whole', async () => {
    const root = scratch.dir()
    const store = scratch.open(join(root, '.flakeline'), { historyLimit: 50 })
    const names = ['two\nlines', 'tab\there', '<![CDATA[ ]]> & "', `long ${'z'.repeat(10_000)}`, 'bell \u0007']
    const run = await recordRun(store, [fileResult('tests/h.test.ts', 'failed', 10, names.map((name) => testRecord(name, 'failed', { failureMessage: `${name} ]]> <failure/>` })))])
    const parsed = all(parseXml(renderJunit(run, store.recordsOfRun(run.seq)), 'h.xml'), 'testcase')
    expect(parsed.map((testcase) => testcase.attributes.name)).toEqual([...names.slice(0, 4), 'bell \uFFFD'])
    expect(parsed[2]!.children[0]!.text).toBe('<![CDATA[ ]]> & " ]]> <failure/>')
  })

  test('round trip: flakeline import --format junit reads it back into the same records', async () => {
    const root = packageRoot(scratch.dir())
    const source = scratch.open(join(scratch.dir(), 'store'), { historyLimit: 200 })
    const { last } = await scenario(source)
    const records = source.recordsOfRun(last.seq).filter((record) => !record.tests.some((test) => test.name.length > 8_000))
    const file = join(root, 'run.xml')
    writeFileSync(file, renderJunit(last, records))
    // The importer's own reading first: the same tests, statuses and attempts.
    const imported = junitRun([{ name: 'run.xml', xml: readFileSync(file, 'utf8') }], { root })
    const shape = (tests: ReadonlyArray<{ name: string; status: string; attempts: number }>) => tests.map((test) => [test.name, test.status, test.attempts])
    expect(imported.files.map((entry) => [entry.path, shape(entry.tests)])).toEqual(records.slice().sort((a, b) => (a.path < b.path ? -1 : 1)).map((record) => [record.path, shape(record.tests)]))
    const result = await cli(['import', '--format', 'junit', 'run.xml', '--run', 'from-junit', '--json'], root)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ runs: 1, files: records.length })
    const store = HistoryStore.open(join(root, '.flakeline'), { historyLimit: 200, readOnly: true })
    try {
      const run = store.latestRun()!
      expect(run).toMatchObject({ id: 'from-junit', runner: 'import', tests: last.tests - 1, failed: last.failed - 1, flaky: 1 })
      const back = store.recordsOfRun(run.seq)
      for (const record of records) {
        const again = back.find((candidate) => candidate.path === record.path)!
        expect(again.tests.map((test) => [test.name, test.status, test.attempts, test.durationMs])).toEqual(record.tests.map((test) => [test.name, test.status, test.attempts, test.durationMs]))
        expect(again.status).toBe(record.status)
      }
    } finally {
      await store.close()
    }
  })
})

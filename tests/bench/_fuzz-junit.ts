// Fuzz target: the JUnit XML importer (`flakeline import --format junit`) and its XML reader.
// A generated report in the shapes Jest, Vitest, Surefire and pytest write must import the tests
// it has; anything else is refused with an import code, and what is accepted must be a history
// the store, doctor and export agree with.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { junitRun, readJunitRun } from '../../dist/src/history-import/junit-history.js'
import { check, coded, type FuzzTarget } from './_fuzz-harness.js'
import { IMPORT_CODES, ROOT, checkImported, storedPath, testName, testPath } from './_fuzz-history.js'
import { Random, hostileChar, hostileString, mutateText, randomText, word } from './_fuzz-random.js'

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

interface Case {
  path: string
  name: string
  status: 'passed' | 'failed' | 'skipped'
  reruns: number
  seconds: number | null
}

/** One <testcase>: its file in `file` or its suite, its outcome in children, reruns as Surefire writes them. */
function testcase(r: Random, test: Case, withFile: boolean): string {
  const time = test.seconds === null ? '' : ` time="${test.seconds}"`
  const classname = r.chance(0.3) ? ` classname="${escape(test.path)}"` : ''
  const file = withFile ? ` file="${escape(test.path)}"` : ''
  const reruns = Array.from({ length: test.reruns }, () => `<${r.pick(['flakyFailure', 'rerunFailure', 'flakyError'])} message="x"/>`).join('')
  const body =
    test.status === 'failed'
      ? r.chance(0.5)
        ? `<failure message="${escape(`expected ${r.int(9)}`)}"><![CDATA[at ${test.path}:3 <&>]]></failure>`
        : `<error type="Error">${escape('boom & <bang>')}</error>`
      : test.status === 'skipped'
        ? '<skipped/>'
        : ''
  const inner = `${reruns}${body}${r.chance(0.2) ? `<system-out>${escape(word(r))}</system-out>` : ''}`
  return `<testcase name="${escape(test.name)}"${classname}${file}${time}${inner ? `>${inner}</testcase>` : '/>'}`
}

/** A valid report and the tests it holds, in document order. */
function validReport(r: Random): { xml: string; tests: Case[] } {
  const tests: Case[] = []
  const suites: string[] = []
  for (let s = r.range(1, 3); s > 0; s--) {
    const path = testPath(r)
    const named = r.chance(0.5)
    const cases: string[] = []
    const names = new Set<string>()
    for (let t = r.range(1, 5); t > 0; t--) names.add(testName(r))
    for (const name of names) {
      const test: Case = { path, name, status: r.pick(['passed', 'passed', 'failed', 'skipped']), reruns: r.chance(0.15) ? r.range(1, 3) : 0, seconds: r.chance(0.8) ? r.int(5_000) / 1000 : null }
      if (test.status === 'skipped') test.reruns = 0
      tests.push(test)
      cases.push(testcase(r, test, !named))
    }
    const timestamp = r.chance(0.5) ? ` timestamp="${new Date(Date.UTC(2026, r.int(12), 1 + r.int(28))).toISOString().slice(0, 19)}"` : ''
    const suite = `<testsuite name="${escape(named ? path : word(r))}" tests="${cases.length}"${timestamp}>${cases.join('\n  ')}</testsuite>`
    // Surefire nests suites; the file still comes from the suite that names it.
    suites.push(r.chance(0.2) ? `<testsuite name="outer-${word(r)}">${suite}</testsuite>` : suite)
  }
  const declaration = r.chance(0.5) ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''
  const comment = r.chance(0.2) ? '<!-- generated -->' : ''
  // A report of one suite may have it as its root.
  const body = suites.length === 1 && r.chance(0.3) ? suites[0]! : `<testsuites name="${escape(word(r))}">\n${suites.join('\n')}\n</testsuites>`
  return { xml: `${declaration}${comment}${body}\n`, tests }
}

/** Structures the reader bounds or refuses: deep nesting, many attributes, entities, DOCTYPE, huge names. */
function hostileStructure(r: Random): string {
  const valid = validReport(r).xml
  switch (r.int(9)) {
    case 0: {
      const depth = r.chance(0.9) ? r.pick([100, 257, 300]) : 5_000
      return `<testsuites>${'<testsuite name="a.test.ts">'.repeat(depth)}<testcase name="x"/>${'</testsuite>'.repeat(depth)}</testsuites>`
    }
    case 1:
      return `<testsuites><testsuite name="a.test.ts"><testcase name="x" ${Array.from({ length: r.pick([255, 257, 1_000]) }, (_, i) => `a${i}="v"`).join(' ')}/></testsuite></testsuites>`
    case 2:
      return `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>${valid}`
    case 3:
      return valid.replace('name="', `name="${r.pick(['&lol;', '&#0;', '&#x110000;', '&#xD800;', '&', '&amp', '&#65;', '&#x1F600;', '&#9999999;'])}`)
    case 4:
      return valid.replace('name="', `name="${escape(r.pick(['a'.repeat(100_000), '../../etc/passwd', '/etc/shadow', `${ROOT}/../x.test.ts`, 'é'.repeat(9_000)]))}`)
    case 5:
      return valid.replace(/time="[^"]*"/, `time="${r.pick(['NaN', '-1', '1e309', 'Infinity', '1,5', '604801', '', ' ', '0x10', '1e-400', '-0'])}"`)
    case 6:
      return valid.replace(/<testsuite /, `<testsuite timestamp="${r.pick(['1900-01-01T00:00:00', '1960-06-01', '+275760-09-13T00:00:00', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '2026-13-45', 'yesterday', '0'])}" `)
    case 7:
      return valid.replace('<testcase ', `<testcase file="${escape(r.pick(['../x.test.ts', '/etc/passwd', 'C:\\x.test.ts', 'a//b.ts', '.', 'tests/a.ts\u0001', `${'d/'.repeat(600)}x.ts`]))}" `)
    default:
      // One title repeated: the importer tells the tests apart as `t (2)`, `t (3)`, ...
      return `<testsuites>${`<testsuite name="s.test.ts">${'<testcase name="t"/>'.repeat(r.chance(0.9) ? 10 : 1_000)}</testsuite>`.repeat(r.chance(0.9) ? 1 : 10)}</testsuites>`
  }
}

function hostileInput(r: Random): string {
  const roll = r.int(10)
  if (roll === 0) return randomText(r, r.size(400))
  if (roll === 1) {
    const tokens = ['<', '</', '>', '/>', '<![CDATA[', ']]>', '<!--', '-->', '<?xml ?>', '&amp;', '&#x41;', '=', '"', "'", 'testsuite', 'testcase', 'name', ' ', '\n', 'failure', 'skipped', 'file']
    return Array.from({ length: r.size(200) }, () => (r.chance(0.9) ? r.pick(tokens) : hostileChar(r))).join('')
  }
  if (roll < 6) return mutateText(r, validReport(r).xml, r.chance(0.5) ? validReport(r).xml : undefined)
  if (roll < 9) return hostileStructure(r)
  return validReport(r).xml.replace(/name="[^"]*"/, () => `name="${hostileString(r).replace(/"/g, '')}"`)
}

let scratch: string | null = null

export function junitTarget(dir: () => string): FuzzTarget {
  return {
    name: 'junit',
    what: 'junitRun over the XML reader (in memory), readJunitRun from files; accepted runs checked against the store, doctor and export',
    codes: IMPORT_CODES,
    run(r) {
      scratch ??= dir()
      if (r.chance(0.2)) {
        const reports = Array.from({ length: r.range(1, 2) }, () => validReport(r))
        const run = junitRun(reports.map((report, i) => ({ name: `report-${i}.xml`, xml: report.xml })), { root: ROOT })
        const got = run.files.flatMap((file) => file.tests.map((test) => `${file.path}|${test.name}|${test.status}|${test.attempts}|${test.durationMs}`))
        const want = reports.flatMap((report) => report.tests).map((test) => `${storedPath(test.path)}|${test.name}|${test.status}|${test.status === 'skipped' ? 0 : test.reruns + 1}|${test.seconds === null ? null : test.seconds * 1000}`)
        check(JSON.stringify(got.slice().sort()) === JSON.stringify(want.slice().sort()), () => `a valid report imported other tests: ${got.length} of ${want.length}`)
        checkImported(run, 'the JUnit importer')
        return 'ok'
      }
      const xml = hostileInput(r)
      const viaFile = r.chance(0.02)
      if (viaFile) writeFileSync(join(scratch, 'report.xml'), xml)
      const imported = coded(IMPORT_CODES, viaFile ? 'readJunitRun' : 'junitRun', () => (viaFile ? readJunitRun([join(scratch!, 'report.xml')], { root: ROOT }, ['report.xml']) : junitRun([{ name: 'report.xml', xml }], { root: ROOT })))
      if ('value' in imported) checkImported(imported.value, 'the JUnit importer')
      return 'value' in imported ? 'ok' : imported.code
    },
  }
}

import type { FileRecord, RunRecord, TestRecord } from '../records.js'

/**
 * Characters XML 1.0 cannot hold, not even as references (C0 controls but tab, LF and CR; U+FFFE,
 * U+FFFF; unpaired surrogates): each becomes U+FFFD, so a hostile test name cannot make the report
 * unreadable for the CI system that parses it.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Text content: markup characters as entities; line breaks kept. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** An attribute value in double quotes: also `"`, and tab, LF and CR as references, which attribute normalisation would turn into spaces. */
export function xmlAttribute(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;')
}

function attributes(pairs: ReadonlyArray<readonly [string, string | number | null | undefined]>): string {
  return pairs
    .filter((pair): pair is readonly [string, string | number] => pair[1] !== null && pair[1] !== undefined)
    .map(([name, value]) => ` ${name}="${xmlAttribute(String(value))}"`)
    .join('')
}

function seconds(ms: number | null | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3)
}

/** `AssertionError` from `AssertionError: expected 1 to be 2`, else `failure`. */
function errorType(message: string): string {
  return /^([A-Za-z_$][\w$.]*(?:Error|Exception))\b/.exec(message)?.[1] ?? 'failure'
}

function firstLine(message: string): string {
  return (message.split('\n').find((line) => line.trim() !== '') ?? '').trim().slice(0, 1_000)
}

/** One failed attempt, Surefire style: `<flakyFailure>`/`<rerunFailure>` with the message and its stack in `<stackTrace>`. */
function rerun(element: 'flakyFailure' | 'rerunFailure', message: string): string {
  return `      <${element}${attributes([['message', firstLine(message)], ['type', errorType(message)]])}><stackTrace>${xmlText(message)}</stackTrace></${element}>\n`
}

/** What the JUnit output adds about a test beyond its record. */
export interface JunitTestNote {
  /** Why the failure is quarantined (`flakeline.quarantined` property). */
  quarantined?: string
}

/** How the JUnit report is made. */
export interface JunitOptions {
  /** Notes by `fileId\0test name`. */
  notes?: ReadonlyMap<string, JunitTestNote>
  /** Name of the `<testsuites>` element. */
  name?: string
}

function testcase(test: TestRecord, path: string, note: JunitTestNote | undefined): string {
  const head = `    <testcase${attributes([
    ['name', test.name],
    ['classname', path],
    ['file', path],
    ['line', test.location?.line ?? null],
    ['time', seconds(test.durationMs)],
  ])}`
  let body = ''
  if (note?.quarantined) body += `      <properties><property name="flakeline.quarantined"${attributes([['value', note.quarantined]])}/></properties>\n`
  const earlier = Math.max(0, test.attempts - 1)
  if (test.status === 'failed') {
    const message = test.failureMessage ?? 'failed'
    body += `      <failure${attributes([['message', firstLine(message)], ['type', errorType(message)]])}>${xmlText(message)}</failure>\n`
    for (let i = 0; i < earlier; i++) body += rerun('rerunFailure', test.retryErrors[i] ?? 'failed attempt (the runner kept no message)')
  } else if (test.status === 'passed') {
    // Surefire marks a test that failed and then passed on a rerun with one <flakyFailure> per failed run.
    for (let i = 0; i < earlier; i++) body += rerun('flakyFailure', test.retryErrors[i] ?? 'failed attempt (the runner kept no message)')
  } else body += `      <skipped${test.status === 'todo' ? ' message="todo"' : ''}/>\n`
  return body ? `${head}>\n${body}    </testcase>\n` : `${head}/>\n`
}

/** A file's error outside its tests, as a test case of its own so every CI system shows it. */
export const FILE_ERROR_CASE = '(outside any test)'

/**
 * The run as JUnit XML, the format GitLab, Jenkins, CircleCI and Buildkite read: one `<testsuite>`
 * per file, one `<testcase>` per test with `name` (the full name), `classname` and `file` (the path),
 * `line` and `time` in seconds. A test that passed on retry carries one Surefire `<flakyFailure>` per
 * failed attempt; a test that failed after retries a `<failure>` and one `<rerunFailure>` per earlier
 * attempt; skipped and todo tests `<skipped/>`. `flakeline import --format junit` reads it back.
 */
export function renderJunit(run: RunRecord, files: readonly FileRecord[], options: JunitOptions = {}): string {
  let tests = 0
  let failures = 0
  let errors = 0
  let skipped = 0
  let suites = ''
  for (const file of files.slice().sort((a, b) => (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0))) {
    const path = file.path
    const fileFailures = file.tests.filter((test) => test.status === 'failed').length
    const fileSkipped = file.tests.filter((test) => test.status === 'skipped' || test.status === 'todo').length
    const fileErrors = file.fileError ? 1 : 0
    const count = file.tests.length + fileErrors
    tests += count
    failures += fileFailures
    errors += fileErrors
    skipped += fileSkipped
    suites += `  <testsuite${attributes([
      ['name', file.project ? `${file.project}:${file.path}` : file.path],
      ['file', path],
      ['tests', count],
      ['failures', fileFailures],
      ['errors', fileErrors],
      ['skipped', fileSkipped],
      ['time', seconds(file.durationMs)],
      ['timestamp', new Date(file.startedAt).toISOString()],
    ])}>\n`
    for (const test of file.tests) suites += testcase(test, path, options.notes?.get(`${file.fileId}\0${test.name}`))
    if (file.fileError) {
      suites += `    <testcase${attributes([['name', FILE_ERROR_CASE], ['classname', path], ['file', path], ['time', '0.000']])}>\n      <error${attributes([['message', firstLine(file.fileError)], ['type', errorType(file.fileError)]])}>${xmlText(file.fileError)}</error>\n    </testcase>\n`
    }
    suites += '  </testsuite>\n'
  }
  const head = `<testsuites${attributes([
    ['name', options.name ?? `flakeline ${run.runner} run ${run.id}`],
    ['tests', tests],
    ['failures', failures],
    ['errors', errors],
    ['skipped', skipped],
    ['time', seconds(run.durationMs)],
    ['timestamp', new Date(run.startedAt).toISOString()],
  ])}>\n`
  return `<?xml version="1.0" encoding="UTF-8"?>\n${head}${suites}</testsuites>\n`
}

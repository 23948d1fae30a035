import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { AttemptOutcome, TestStatus } from '../records.js'
import type { HistoryFile, HistoryRun, HistoryTest } from './history-run.js'
import { quotedPath, quotedText, shownText } from '../identity.js'
import { IMPORT_LIMITS, checkFileId, importError, importedPath, limitError } from './import-limits.js'
import { lineOf, parseXml, type XmlElement } from './xml-reader.js'

/** Where a JUnit report's paths are relative to, and what the run is called. */
export interface JunitRunOptions {
  /** Absolute paths in reports are made relative to this (the package root); paths outside it are refused. */
  root: string
  /** Run id; default `junit-` and a hash of the reports, so importing the same reports twice is noticed. */
  runId?: string
  commit?: string | null
}

/** Extensions that mark a suite name or class name as a file path (Vitest and jest-junit write paths there). */
const PATH_LIKE = /\/|\.(?:[cm]?[jt]sx?|vue|svelte|py|rb|go|java|kt|cs|php)$/

const RERUNS = new Set(['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError'])

function seconds(value: string | undefined, where: () => string): number | null {
  if (value === undefined || value.trim() === '') return null
  const parsed = Number(value.replace(/,/g, ''))
  if (!Number.isFinite(parsed) || parsed < 0) throw importError(where(), `time=${quotedText(value)} is not a number of seconds`)
  const ms = parsed * 1000
  if (ms > IMPORT_LIMITS.durationMs) throw limitError(where(), `time=${quotedText(value)} is more than a week`)
  return ms
}

/** A suite's start; one that does not parse, or is before 1970 or after 9999, is left out like a missing one. */
function timestamp(value: string | undefined): number | null {
  if (!value) return null
  // JUnit timestamps usually have no zone; they are UTC by convention.
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`)
  return Number.isFinite(ms) && ms >= 0 && ms <= IMPORT_LIMITS.latestTime ? ms : null
}

interface SuiteContext {
  file: string | null
  name: string | null
  startedAt: number | null
}

/**
 * Maps JUnit XML reports (from Jest's jest-junit, Vitest's junit reporter, Maven Surefire, pytest
 * and others) to one run. Every <testcase> under every (nested) <testsuite> becomes a test:
 * <failure> or <error> means failed, <skipped> skipped, Surefire's <flakyFailure>/<rerunFailure>
 * count as earlier failed attempts. The test's file is the first of: its `file` attribute, its
 * suite's `file`, a suite name or class name that looks like a path, else its class name. Nothing
 * is dropped: a test case that cannot be placed is an error, and repeated names in one file (for
 * example parameterised cases) are kept as `name (2)`, `name (3)`.
 */
export function junitRun(reports: ReadonlyArray<{ name: string; xml: string }>, options: JunitRunOptions): HistoryRun {
  const files = new Map<string, HistoryFile>()
  let runStart: number | null = null
  for (const { name, xml } of reports) {
    const root = parseXml(xml, name)
    if (root.name !== 'testsuites' && root.name !== 'testsuite') throw importError(`${name}:${lineOf(xml, root.offset)}`, `the root element is <${shownText(root.name)}>, expected <testsuites> or <testsuite>`)
    const visit = (element: XmlElement, suite: SuiteContext): void => {
      for (const child of element.children) {
        if (child.name === 'testsuite' || child.name === 'testsuites') {
          const inner: SuiteContext = {
            file: child.attributes.file ?? suite.file,
            name: child.attributes.name ?? suite.name,
            startedAt: timestamp(child.attributes.timestamp) ?? suite.startedAt,
          }
          visit(child, inner)
        } else if (child.name === 'testcase') addCase(child, suite, name, xml)
      }
    }
    const addCase = (testcase: XmlElement, suite: SuiteContext, reportName: string, source: string): void => {
      const where = (): string => `${reportName}:${lineOf(source, testcase.offset)}`
      const title = testcase.attributes.name
      if (!title) throw importError(where(), '<testcase> has no name attribute')
      const classname = testcase.attributes.classname ?? null
      const rawFile =
        testcase.attributes.file ??
        suite.file ??
        (suite.name && PATH_LIKE.test(suite.name) ? suite.name : null) ??
        (classname && PATH_LIKE.test(classname) ? classname : null) ??
        classname ??
        suite.name
      if (!rawFile) throw importError(where(), `cannot tell which file <testcase name=${quotedText(title)}> belongs to (no file, classname or testsuite name)`)
      const path = importedPath(rawFile, options.root, where())
      checkFileId('', path, where())
      const prefixed = classname && classname !== rawFile && !PATH_LIKE.test(classname) && !title.startsWith(classname) ? `${classname} > ${title}` : title
      // Repeated names are told apart when the run is stored (`distinctTestNames`).
      const testName = prefixed
      if (testName.length > IMPORT_LIMITS.testNameChars) throw limitError(where(), `test name longer than ${IMPORT_LIMITS.testNameChars} characters`)

      const failure = testcase.children.find((child) => child.name === 'failure' || child.name === 'error')
      const skipped = testcase.children.some((child) => child.name === 'skipped')
      const reruns = testcase.children.filter((child) => RERUNS.has(child.name)).length
      const status: TestStatus = failure ? 'failed' : skipped ? 'skipped' : 'passed'
      const ran = status !== 'skipped'
      const attemptOutcomes: AttemptOutcome[] | null = ran ? [...Array<AttemptOutcome>(reruns).fill('failed'), status as AttemptOutcome] : []
      const message = failure ? [failure.attributes.message, failure.text.trim()].filter(Boolean).join('\n') || failure.name : null
      const test: HistoryTest = {
        name: testName,
        status,
        durationMs: seconds(testcase.attributes.time, where),
        startedAt: null,
        attempts: ran ? reruns + 1 : 0,
        attemptOutcomes,
        failureMessage: message,
      }
      let file = files.get(path)
      if (!file) {
        if (files.size >= IMPORT_LIMITS.filesPerRun) throw limitError(where(), `more than ${IMPORT_LIMITS.filesPerRun} files in one run`)
        files.set(path, (file = { project: '', path, status: null, durationMs: null, startedAt: suite.startedAt, tests: [] }))
      }
      if (file.tests.length >= IMPORT_LIMITS.testsPerFile) throw limitError(where(), `more than ${IMPORT_LIMITS.testsPerFile} tests in ${quotedPath(path)}`)
      file.tests.push(test)
      if (suite.startedAt !== null) runStart = Math.min(runStart ?? suite.startedAt, suite.startedAt)
    }
    const top: SuiteContext = { file: root.attributes.file ?? null, name: root.name === 'testsuite' ? (root.attributes.name ?? null) : null, startedAt: timestamp(root.attributes.timestamp) }
    if (root.name === 'testsuite') visit({ ...root, children: [root] }, { file: null, name: null, startedAt: null })
    else visit(root, top)
  }
  const digest = createHash('sha1')
  for (const { xml } of reports) digest.update(xml)
  return { id: options.runId ?? `junit-${digest.digest('hex').slice(0, 12)}`, commit: options.commit ?? null, startedAt: runStart, source: 'junit', files: Array.from(files.values()) }
}

/** Reads JUnit report files (each bounded in size) and maps them to one run; problems name them as `names`. */
export function readJunitRun(paths: readonly string[], options: JunitRunOptions, names: readonly string[] = paths): HistoryRun {
  const reports = paths.map((path, i) => {
    const name = names[i] ?? path
    let size: number
    try {
      size = statSync(path).size
    } catch (error) {
      throw importError(name, `cannot read (${error instanceof Error ? error.message : String(error)})`)
    }
    if (size > IMPORT_LIMITS.xmlBytes) throw limitError(name, `larger than ${IMPORT_LIMITS.xmlBytes} bytes`)
    return { name, xml: readFileSync(path, 'utf8') }
  })
  return junitRun(reports, options)
}

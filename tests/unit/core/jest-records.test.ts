import { buildFailureTestResult, createEmptyTestResult, type AssertionResult, type TestResult } from '@jest/test-result'
import { describe, test, expect } from 'vitest'
import { attemptKey, fileResultOf, testRecordOf, type SeenAttempt } from '../../../reporters/_jest-records.js'

const RED_FAILURE = [
  '\u001b[1m\u001b[31mError: \u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[31m\u001b[2m).\u001b[22mtoBe\u001b[2m(\u001b[22m\u001b[32mexpected\u001b[31m\u001b[2m)\u001b[22m\u001b[39m\u001b[22m',
  '',
  'Expected: \u001b[32m2\u001b[39m',
  'Received: \u001b[31m1\u001b[39m',
  '    at Object.toBe (/repo/src/math.test.ts:4:15)',
].join('\n')
const PLAIN_FAILURE = 'Error: expect(received).toBe(expected)\n\nExpected: 2\nReceived: 1\n    at Object.toBe (/repo/src/math.test.ts:4:15)'

/** An AssertionResult as Jest 30 reports it, passed unless overridden. */
function assertion(title: string, overrides: Partial<AssertionResult> = {}): AssertionResult {
  return {
    ancestorTitles: ['math', 'integers'],
    duration: 3,
    failing: false,
    failureDetails: [],
    failureMessages: [],
    fullName: `math integers ${title}`,
    invocations: 1,
    location: { line: 4, column: 3 },
    numPassingAsserts: 1,
    retryReasons: [],
    startAt: 1_732_245_901_000,
    status: 'passed',
    title,
    ...overrides,
  }
}

function fileOf(tests: AssertionResult[], overrides: Partial<TestResult> = {}): TestResult {
  const empty = createEmptyTestResult()
  return {
    ...empty,
    testFilePath: '/repo/src/math.test.ts',
    testResults: tests,
    numPassingTests: tests.filter((t) => t.status === 'passed').length,
    numFailingTests: tests.filter((t) => t.status === 'failed').length,
    numPendingTests: tests.filter((t) => t.status === 'pending' || t.status === 'disabled').length,
    numTodoTests: tests.filter((t) => t.status === 'todo').length,
    perfStats: { ...empty.perfStats, start: 1_732_245_900_000, end: 1_732_245_900_480, runtime: 470 },
    ...overrides,
  }
}

const IDENTITY = { fileId: 'web:src/math.test.ts', project: 'web', path: 'src/math.test.ts' }

describe('testRecordOf', () => {
  test('a passed test', () => {
    expect(testRecordOf(assertion('adds'), 2_000)).toEqual({
      name: 'math > integers > adds',
      status: 'passed',
      durationMs: 3,
      startedAt: 1_732_245_901_000,
      attempts: 1,
      attemptOutcomes: ['passed'],
      retryErrors: [],
      failureMessage: null,
      location: { line: 4, column: 3 },
    })
  })

  test('a failed test: message without colour codes', () => {
    const record = testRecordOf(assertion('subtracts', { status: 'failed', failureMessages: [RED_FAILURE], location: null, numPassingAsserts: 0 }), 2_000)
    expect(record).toMatchObject({ status: 'failed', attempts: 1, attemptOutcomes: ['failed'], failureMessage: PLAIN_FAILURE, location: null })
  })

  test('several failure messages are joined', () => {
    const record = testRecordOf(assertion('x', { status: 'failed', failureMessages: ['first', 'second'] }), 2_000)
    expect(record.failureMessage).toBe('first\nsecond')
  })

  test.each([
    ['pending', 'skipped'],
    ['disabled', 'skipped'],
    ['skipped', 'skipped'],
    ['todo', 'todo'],
  ] as const)('%s becomes %s, with no attempts, duration or message', (jestStatus, status) => {
    const record = testRecordOf(assertion('later', { status: jestStatus, duration: null, failureMessages: ['ignored'], invocations: undefined }), 2_000)
    expect(record).toMatchObject({ status, durationMs: null, attempts: 0, attemptOutcomes: [], failureMessage: null, retryErrors: [] })
  })

  test('focused counts as passed; a test at the top level has just its title', () => {
    expect(testRecordOf(assertion('only', { status: 'focused', ancestorTitles: [] }), 2_000)).toMatchObject({ name: 'only', status: 'passed', attempts: 1 })
  })

  test('invocations become attempts and outcomes; retryReasons become trimmed retry errors', () => {
    const record = testRecordOf(assertion('wobbles', { invocations: 3, retryReasons: [RED_FAILURE, `\u001b[31m${'x'.repeat(50)}\u001b[39m`] }), 20)
    expect(record).toMatchObject({
      status: 'passed',
      attempts: 3,
      attemptOutcomes: ['failed', 'failed', 'passed'],
      retryErrors: [`${PLAIN_FAILURE.slice(0, 20)}… (${PLAIN_FAILURE.length - 20} more characters)`, `${'x'.repeat(20)}… (30 more characters)`],
      failureMessage: null,
    })
  })

  test('a test that failed every attempt', () => {
    const record = testRecordOf(assertion('always', { status: 'failed', invocations: 2, failureMessages: ['boom'], retryReasons: ['boom'] }), 2_000)
    expect(record).toMatchObject({ attempts: 2, attemptOutcomes: ['failed', 'failed'], retryErrors: ['boom'], failureMessage: 'boom' })
  })

  test('without retryReasons, the attempts seen through onTestCaseResult give the retry errors', () => {
    const result = assertion('wobbles', { invocations: 3, retryReasons: undefined })
    const seen: SeenAttempt[] = [
      { status: 'failed', failureMessages: [RED_FAILURE] },
      { status: 'failed', failureMessages: ['timeout', 'after 5000 ms'] },
      { status: 'passed', failureMessages: [] },
    ]
    expect(testRecordOf(result, 2_000, seen).retryErrors).toEqual([PLAIN_FAILURE, 'timeout\nafter 5000 ms'])
    // Attempts that do not add up (two tests with one name) prove nothing.
    expect(testRecordOf(result, 2_000, seen.slice(1)).retryErrors).toEqual([])
  })

  test('a long failure message is cut to maxMessageLength with a note', () => {
    const message = `${'a'.repeat(30)}${'b'.repeat(70)}`
    const record = testRecordOf(assertion('long', { status: 'failed', failureMessages: [`\u001b[31m${message}\u001b[39m`] }), 30)
    expect(record.failureMessage).toBe(`${'a'.repeat(30)}… (70 more characters)`)
  })
})

describe('fileResultOf', () => {
  test('a file with passing, failing, skipped and todo tests', () => {
    const tests = [
      assertion('adds'),
      assertion('subtracts', { status: 'failed', failureMessages: [RED_FAILURE] }),
      assertion('divides', { status: 'pending', duration: null }),
      assertion('multiplies', { status: 'todo', duration: null }),
    ]
    const file = fileResultOf(IDENTITY, fileOf(tests), 2_000)
    expect(file).toEqual({
      ...IDENTITY,
      status: 'failed',
      durationMs: 470,
      startedAt: 1_732_245_900_000,
      fileError: null,
      tests: tests.map((test) => testRecordOf(test, 2_000)),
      overheadMs: 0,
      firstOnWorker: false,
    })
    // The reporter measures start-up from when it handed the file to a worker.
    expect(fileResultOf(IDENTITY, fileOf(tests), 2_000, new Map(), { overheadMs: 812, firstOnWorker: true })).toMatchObject({ overheadMs: 812, firstOnWorker: true, durationMs: 470 })
    expect(file.tests.map((test) => test.status)).toEqual(['passed', 'failed', 'skipped', 'todo'])
  })

  test('passed when every test that ran passed; skipped when none ran', () => {
    expect(fileResultOf(IDENTITY, fileOf([assertion('a'), assertion('b', { status: 'pending' })]), 2_000).status).toBe('passed')
    expect(fileResultOf(IDENTITY, fileOf([assertion('a', { status: 'pending' }), assertion('b', { status: 'todo' })]), 2_000).status).toBe('skipped')
    expect(fileResultOf(IDENTITY, fileOf([]), 2_000).status).toBe('skipped')
  })

  test('seen attempts are matched to their test by name', () => {
    const wobbly = assertion('wobbles', { invocations: 2, retryReasons: undefined })
    const seen = new Map([[attemptKey(wobbly), [{ status: 'failed' as const, failureMessages: ['first try'] }, { status: 'passed' as const, failureMessages: [] }]]])
    const file = fileResultOf(IDENTITY, fileOf([assertion('steady'), wobbly]), 2_000, seen)
    expect(attemptKey(wobbly)).toBe('math > integers > wobbles')
    expect(file.tests.map((test) => [test.name, test.retryErrors])).toEqual([
      ['math > integers > steady', []],
      ['math > integers > wobbles', ['first try']],
    ])
  })

  test('testExecError: the file failed, with its trimmed error as fileError', () => {
    const stack = `\u001b[31mSyntaxError: Unexpected token ')'\u001b[39m\n    at Runtime.loadEsmModule (node_modules/jest-runtime/build/index.js:516:20)`
    const result = buildFailureTestResult('/repo/src/math.test.ts', { message: "Unexpected token ')'", stack })
    const before = Date.now()
    expect(fileResultOf(IDENTITY, result, 2_000)).toEqual({
      ...IDENTITY,
      status: 'failed',
      durationMs: 0,
      // Jest gives a file that failed to load no timings (start 0); the record uses the time it arrived.
      startedAt: expect.toSatisfy((at: number) => at >= before && at <= Date.now()),
      fileError: "SyntaxError: Unexpected token ')'\n    at Runtime.loadEsmModule (node_modules/jest-runtime/build/index.js:516:20)",
      tests: [],
      overheadMs: 0,
      firstOnWorker: false,
    })
    const withoutStack = buildFailureTestResult('/repo/src/math.test.ts', { message: 'Cannot find module ./missing', stack: null })
    expect(fileResultOf(IDENTITY, withoutStack, 12)).toMatchObject({ status: 'failed', fileError: 'Cannot find … (16 more characters)' })
  })

  test('a failure outside any test (a failing afterAll) fails a file whose tests passed', () => {
    const result = fileOf([assertion('adds')], { failureMessage: '\u001b[1m● math › afterAll\u001b[22m\n\n    connection refused' })
    expect(fileResultOf(IDENTITY, result, 2_000)).toMatchObject({ status: 'failed', fileError: '● math › afterAll\n\n    connection refused' })
  })

  test('runtime missing: the duration is end - start', () => {
    const result = fileOf([assertion('adds')])
    const { runtime: _runtime, ...perfStats } = result.perfStats
    expect(fileResultOf(IDENTITY, { ...result, perfStats: perfStats as TestResult['perfStats'] }, 2_000).durationMs).toBe(480)
  })
})

import { sep } from 'node:path'
import { describe, test, expect } from 'vitest'
import { attemptOutcomes } from '../../../src/evidence/outcomes.js'
import { Notices } from '../../../src/core/notices.js'
import { trimMessage } from '../../../src/core/trim-message.js'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../../../src/errors.js'
import { definitiveEvidence } from '../../../src/evidence/definitive-evidence.js'
import { NAME_SEPARATOR, distinctTestNames, fileIdOf, relativeTestPath, testNameOf } from '../../../src/identity.js'
import type { CodeState, HistoryEntry, RunRecord, TestStatus } from '../../../src/records.js'
import { newRun } from './_fixtures.js'

describe('trimMessage', () => {
  test('null, undefined, empty and blank messages are no message', () => {
    expect([trimMessage(null, 10), trimMessage(undefined, 10), trimMessage('', 10), trimMessage(' \n\u001b[31m\u001b[39m ', 10)]).toEqual([null, null, null, null])
  })

  test('colour and cursor codes are stripped and the message trimmed of outer whitespace', () => {
    expect(trimMessage('\n  \u001b[1m\u001b[31mexpected\u001b[39m \u001b[2K\u001b[1Ato be\u001b[?25h 2\u001b[22m  \n', 100)).toBe('expected to be 2')
  })

  test('at most max characters are kept, with a note of how many were cut', () => {
    expect(trimMessage('abcdef', 6)).toBe('abcdef')
    expect(trimMessage('abcdefg', 6)).toBe('abcdef… (1 more characters)')
    expect(trimMessage(`\u001b[31m${'z'.repeat(2_500)}\u001b[39m`, 2_000)).toBe(`${'z'.repeat(2_000)}… (500 more characters)`)
  })
})

describe('attemptOutcomes', () => {
  test.each([
    ['passed', 1, ['passed']],
    ['passed', 3, ['failed', 'failed', 'passed']],
    ['failed', 1, ['failed']],
    ['failed', 2, ['failed', 'failed']],
    ['passed', 0, ['passed']],
    ['skipped', 1, []],
    ['todo', 0, []],
  ] as const)('%s after %i attempts', (status, attempts, outcomes) => {
    expect(attemptOutcomes(status, attempts)).toEqual(outcomes)
  })
})

describe('identity', () => {
  test('fileIdOf prefixes the project when there is one', () => {
    expect(fileIdOf('', 'src/a.test.ts')).toBe('src/a.test.ts')
    expect(fileIdOf('web', 'src/a.test.ts')).toBe('web:src/a.test.ts')
  })

  test('relativeTestPath uses / on every platform', () => {
    expect(relativeTestPath(`${sep}repo`, [`${sep}repo`, 'src', 'deep', 'a.test.ts'].join(sep))).toBe('src/deep/a.test.ts')
    expect(relativeTestPath('/repo/packages/app', '/repo/shared/b.test.ts')).toBe('../../shared/b.test.ts')
  })

  test('testNameOf joins describe titles and the title', () => {
    expect(NAME_SEPARATOR).toBe(' > ')
    expect(testNameOf([], 'adds')).toBe('adds')
    expect(testNameOf(['math', 'integers'], 'adds')).toBe('math > integers > adds')
  })
})

describe('errors and notices', () => {
  test('asFlakelineError keeps FlakelineErrors and wraps anything else with its cause', () => {
    const original = new FlakelineError(ErrorCodes.STORE_OPEN, 'nope')
    expect(asFlakelineError(original, ErrorCodes.REPORTER, 'ctx')).toBe(original)
    const cause = new TypeError('bad thing')
    const wrapped = asFlakelineError(cause, ErrorCodes.REPORTER, 'cannot record')
    expect([wrapped.name, wrapped.code, wrapped.message, wrapped.cause]).toEqual(['FlakelineError', ErrorCodes.REPORTER, 'cannot record: bad thing', cause])
    expect(asFlakelineError('a string', ErrorCodes.SEQUENCER, 'plan').message).toBe('plan: a string')
  })

  test('Notices warn once per distinct message, keep the last error, and info is quiet-able', () => {
    const lines: string[] = []
    const notices = new Notices({ sink: (line) => lines.push(line) })
    const first = new FlakelineError(ErrorCodes.STORE_WRITE, 'disk full')
    notices.warn(first)
    notices.warn(new FlakelineError(ErrorCodes.STORE_WRITE, 'disk full'))
    const second = new FlakelineError(ErrorCodes.REPORTER, 'odd result')
    notices.warn(second)
    notices.info('recorded run x')
    expect(lines).toEqual([
      'flakeline: warning FLAKELINE_E_STORE_WRITE: disk full',
      'flakeline: warning FLAKELINE_E_REPORTER: odd result',
      'flakeline: recorded run x',
    ])
    expect(notices.lastError).toBe(second)
    const quietLines: string[] = []
    const quiet = new Notices({ quiet: true, sink: (line) => quietLines.push(line) })
    quiet.info('hidden')
    quiet.warn(first)
    expect(quietLines).toEqual(['flakeline: warning FLAKELINE_E_STORE_WRITE: disk full'])
  })

  test('infoOnce says a fact once per notice stream; info repeats', () => {
    const lines: string[] = []
    const notices = new Notices({ sink: (line) => lines.push(line) })
    for (let i = 0; i < 3; i++) {
      notices.infoOnce('pragmas are not read')
      notices.info('planned')
    }
    notices.infoOnce('another fact')
    expect(lines).toEqual(['flakeline: pragmas are not read', 'flakeline: planned', 'flakeline: planned', 'flakeline: planned', 'flakeline: another fact'])
    const quietLines: string[] = []
    new Notices({ quiet: true, sink: (line) => quietLines.push(line) }).infoOnce('hidden')
    expect(quietLines).toEqual([])
  })
})

describe('definitiveEvidence', () => {
  const CLEAN_A: CodeState = { commit: 'a'.repeat(40), dirty: false, branch: 'main', source: 'git' }
  const CLEAN_B: CodeState = { commit: 'b'.repeat(40), dirty: false, branch: 'main', source: 'git' }
  const DIRTY_A: CodeState = { ...CLEAN_A, dirty: true }
  const NO_COMMIT_DIRTY: CodeState = { commit: null, dirty: true, branch: null, source: 'none' }

  function runsOf(codes: CodeState[]): Map<number, RunRecord> {
    return new Map(codes.map((code, i) => [i + 1, { ...newRun({ code }), seq: i + 1 }]))
  }

  function historyOf(outcomes: Array<[TestStatus, number]>) {
    const entries: HistoryEntry[] = outcomes.map(([status, attempts], i) => ({ seq: i + 1, status, attempts, durationMs: 1, startedAt: i }))
    return { fileId: 'a.test.ts', name: 'wobbles', entries }
  }

  test('passed on retry counts each retried pass', () => {
    const test = historyOf([['passed', 1], ['passed', 2], ['failed', 3], ['passed', 3], ['skipped', 0]])
    expect(definitiveEvidence(test, runsOf([CLEAN_A, CLEAN_B, DIRTY_A, CLEAN_B, CLEAN_A]))).toEqual({ passedOnRetry: 2, mixedOnSameCode: 0, runs: 4, failures: 1 })
  })

  test('a pass and a failure on the same clean commit count once per commit', () => {
    const test = historyOf([['passed', 1], ['failed', 1], ['passed', 1], ['failed', 1], ['failed', 1]])
    expect(definitiveEvidence(test, runsOf([CLEAN_A, CLEAN_A, CLEAN_B, CLEAN_B, CLEAN_A]))).toEqual({ passedOnRetry: 0, mixedOnSameCode: 2, runs: 5, failures: 3 })
  })

  test('outcomes on different commits are not mixed evidence', () => {
    const test = historyOf([['passed', 1], ['failed', 1]])
    expect(definitiveEvidence(test, runsOf([CLEAN_A, CLEAN_B])).mixedOnSameCode).toBe(0)
  })

  test('dirty commits do not count: the working tree may differ between the runs', () => {
    const test = historyOf([['passed', 1], ['failed', 1], ['failed', 1]])
    expect(definitiveEvidence(test, runsOf([DIRTY_A, DIRTY_A, CLEAN_A]))).toEqual({ passedOnRetry: 0, mixedOnSameCode: 0, runs: 3, failures: 2 })
  })

  test('without any commit, one working directory counts as one code state', () => {
    const test = historyOf([['passed', 1], ['failed', 1]])
    expect(definitiveEvidence(test, runsOf([NO_COMMIT_DIRTY, NO_COMMIT_DIRTY])).mixedOnSameCode).toBe(1)
  })

  test('entries whose run record is gone still count as runs, not as code evidence', () => {
    const test = historyOf([['passed', 1], ['failed', 1]])
    expect(definitiveEvidence(test, new Map())).toEqual({ passedOnRetry: 0, mixedOnSameCode: 0, runs: 2, failures: 1 })
  })
})

describe('distinctTestNames', () => {
  test('repeats become "name (2)", "name (3)" in order; unique names and other files are untouched', () => {
    expect(distinctTestNames(['a', 'b', 'a', 'a', 'c'])).toEqual(['a', 'b', 'a (2)', 'a (3)', 'c'])
    expect(distinctTestNames([])).toEqual([])
    expect(distinctTestNames(['x > y', 'x > y'])).toEqual(['x > y', 'x > y (2)'])
  })

  test('a suffix a real test already has is skipped, so no two tests ever share a name', () => {
    expect(distinctTestNames(['a', 'a (2)', 'a'])).toEqual(['a', 'a (2)', 'a (3)'])
    expect(distinctTestNames(['a (2)', 'a', 'a', 'a'])).toEqual(['a (2)', 'a', 'a (3)', 'a (4)'])
  })
})

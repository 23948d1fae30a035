import { describe, expect, test } from 'vitest'
import { LiveModel, runStatus } from '../../../src/dashboard/live-model.js'
import { verdictKey } from '../../../src/dashboard/verdict-panel.js'

const origin = (shard: number | null = null) => ({ run: 'ci-7', publisher: `p${shard ?? 0}`, shard: shard === null ? null : { index: shard, count: 2 } })

function test_(name: string, status: string, shard: number | null = null, extra: Record<string, unknown> = {}) {
  return { ...origin(shard), fileId: 'tests/a.test.js', path: 'tests/a.test.js', name, status, durationMs: 2, attempts: 1, failureMessage: status === 'failed' ? 'boom' : null, location: { line: 3, column: 5 }, retryErrors: [], ...extra }
}

describe('the dashboard model', () => {
  test('folds the shards of one run into one view, counting each test once', () => {
    const model = new LiveModel()
    model.apply('run', 'run.start', { ...origin(1), runner: 'jest', runnerVersion: '30.5.2', startedAt: 1000 })
    model.apply('run', 'run.start', { ...origin(2), runner: 'jest', runnerVersion: '30.5.2', startedAt: 900 })
    model.apply('run', 'file.start', { ...origin(1), fileId: 'tests/a.test.js', path: 'tests/a.test.js', lane: 0, at: 1100 })
    model.apply('results', 'test', test_('adds', 'passed', 1))
    model.apply('results', 'test', test_('adds', 'passed', 1))
    model.apply('results', 'test', test_('breaks', 'failed', 2))
    model.apply('results', 'test', test_('later', 'skipped', 2))
    model.apply('results', 'file', { ...origin(1), fileId: 'tests/a.test.js', path: 'tests/a.test.js', status: 'passed', startedAt: 1100, durationMs: 50 })
    const run = model.runs.get('ci-7')!
    expect(model.current).toBe('ci-7')
    expect(run.startedAt).toBe(900)
    expect(run.counts).toEqual({ passed: 1, failed: 1, skipped: 1, todo: 0 })
    expect(run.failures.map((failure) => [failure.name, failure.location])).toEqual([['breaks', { line: 3, column: 5 }]])
    expect(run.lanes).toEqual([{ lane: 'shard 1/2 · worker 1', fileId: 'tests/a.test.js', path: 'tests/a.test.js', start: 1100, end: 1150, status: 'passed' }])
    expect(runStatus(run)).toBe('running')
    model.apply('run', 'run.end', { ...origin(1), status: 'passed', endedAt: 2000 })
    expect(runStatus(run)).toBe('running')
    model.apply('run', 'run.end', { ...origin(2), status: 'failed', endedAt: 2100, deadlines: { checked: 1, missed: [{ fileId: 'tests/a.test.js', deadlineMs: 500, finishedMs: 900 }] } })
    expect(runStatus(run)).toBe('failed')
    expect(run.endedAt).toBe(2100)
    expect(run.deadlineMisses).toEqual([{ fileId: 'tests/a.test.js', deadlineMs: 500, finishedMs: 900 }])
  })

  test('keeps flaky evidence, console lines, gaps and dropped counts; ignores what it does not know', () => {
    const model = new LiveModel()
    model.apply('run', 'run.start', { ...origin(), runner: 'vitest', runnerVersion: '4', startedAt: 1 })
    model.apply('analysis', 'flaky', { ...origin(), fileId: 'f', path: 'f', name: 'wobbles', evidence: 'passed-on-retry', attempts: 2, attemptOutcomes: ['failed', 'passed'] })
    model.apply('analysis', 'deadline.miss', { ...origin(), fileId: 'f', deadlineMs: 10, finishedMs: 20 })
    model.apply('console', 'log', { ...origin(), stream: 'stderr', text: '<script>', path: 'f' })
    model.apply('results', 'gap', { publisher: 'p0', from: 4, to: 6 })
    model.consoleDropped(12)
    model.apply('results', 'test', 'not an object')
    model.apply('results', 'test', { ...test_('odd', 'exploded') })
    model.apply('mystery', 'thing', { run: 'ci-7' })
    const run = model.runs.get('ci-7')!
    expect(run.flaky.map((flaky) => flaky.name)).toEqual(['wobbles'])
    expect(run.deadlineMisses).toHaveLength(1)
    expect(run.console).toEqual([{ stream: 'stderr', text: '<script>', path: 'f' }])
    expect(run.gaps).toBe(3)
    expect(run.consoleDropped).toBe(12)
    expect(run.counts).toEqual({ passed: 0, failed: 0, skipped: 0, todo: 0 })
  })

  test('marks tests that ran with a known flaky or failing verdict, once per test, as they finish', () => {
    const model = new LiveModel()
    model.apply('run', 'run.start', { ...origin(), runner: 'vitest', runnerVersion: '4', startedAt: 1 })
    model.apply('results', 'test', test_('wobbles', 'passed', null, { attempts: 2, known: { verdict: 'flaky', confidence: 0.93 } }))
    model.apply('results', 'test', test_('shaky', 'failed', null, { known: { verdict: 'flaky', confidence: 0.6 } }))
    model.apply('results', 'test', test_('broken', 'failed', null, { known: { verdict: 'failing', confidence: 0.8 } }))
    model.apply('results', 'test', test_('young', 'passed', null, { known: { verdict: 'new', confidence: 1 } }))
    model.apply('results', 'test', test_('odd', 'failed', null, { known: { verdict: 'haunted', confidence: 2 } }))
    model.apply('results', 'test', test_('plain', 'failed'))
    const run = model.runs.get('ci-7')!
    expect(Array.from(run.knownRan.values(), (test) => [test.name, test.status, test.attempts, test.known])).toEqual([
      ['wobbles', 'passed', 2, { verdict: 'flaky', confidence: 0.93 }],
      ['shaky', 'failed', 1, { verdict: 'flaky', confidence: 0.6 }],
      ['broken', 'failed', 1, { verdict: 'failing', confidence: 0.8 }],
    ])
    expect(run.knownRan.has(verdictKey('tests/a.test.js', 'wobbles'))).toBe(true)
    // Every failure keeps what was known of it: the page tells a known-flaky failure from a new one.
    expect(run.failures.map((test) => [test.name, test.known?.verdict ?? null])).toEqual([
      ['shaky', 'flaky'],
      ['broken', 'failing'],
      ['odd', null],
      ['plain', null],
    ])
    expect(run.tests.get('p0\u0000tests/a.test.js\u0000young')?.known).toEqual({ verdict: 'new', confidence: 1 })
  })

  test('keeps the verdicts a run changed, numbered in arrival order across runs and resets', () => {
    const model = new LiveModel()
    const verdict = (run: string, name: string, kind: string, extra: Record<string, unknown> = {}) =>
      model.apply('analysis', 'verdict', { run, publisher: 'p0', shard: null, fileId: 'tests/a.test.js', name, verdict: kind, confidence: 0.9, evidence: [{ signal: 'passedOnRetry', value: 1, detail: 'passed on retry in 2 of 3 runs' }, null], ...extra })
    verdict('r1', 'wobbles', 'flaky')
    verdict('r1', 'broken', 'failing', { evidence: 'none' })
    verdict('r1', 'odd', 'haunted')
    verdict('r1', 'odd', 'flaky', { confidence: 'high' })
    model.reset()
    verdict('r2', 'wobbles', 'recovered')
    expect(model.verdictSeq).toBe(3)
    expect(model.runs.get('r2')!.verdicts).toEqual([{ fileId: 'tests/a.test.js', name: 'wobbles', verdict: 'recovered', confidence: 0.9, evidence: [{ signal: 'passedOnRetry', value: 1, detail: 'passed on retry in 2 of 3 runs' }], order: 3 }])
  })

  test('reset forgets everything (a restarted hub numbers from 1 again)', () => {
    const model = new LiveModel()
    model.apply('run', 'run.start', { ...origin(), startedAt: 1 })
    model.reset()
    expect(model.runs.size).toBe(0)
    expect(model.current).toBeNull()
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AnalysisPool } from '../../../src/analysis/analysis-pool.js'
import { ErrorCodes } from '../../../src/errors.js'
import { LABEL_HORIZON, analyseTests, labelOf } from '../../../src/verdicts/analyse-tests.js'
import { describeModel, initialModel } from '../../../src/verdicts/meta-learner.js'
import { replayProject, standardProjects } from '../../../src/verdicts/simulate.js'
import type { TestCase } from '../../../src/verdicts/types.js'
import { failingAt, history } from './_histories.js'

let pool: AnalysisPool
beforeAll(() => {
  pool = new AnalysisPool({ threads: 2 })
})
afterAll(() => pool.close())

function suite(): TestCase[] {
  return [
    history('0'.repeat(50), { name: 'stable' }),
    history(failingAt(50, [44, 45, 46, 47, 48, 49]), { name: 'regression', changed: (i) => i === 44 }),
    history(failingAt(50, [3, 11, 19, 24, 31, 38, 45], 'r'), { name: 'retried' }),
    history(failingAt(50, [2, 9, 17, 21, 30, 33, 41, 48]), { name: 'flaky', message: (i) => (i % 2 ? 'Exceeded timeout of 5000 ms for a test.' : 'socket hang up') }),
    history(failingAt(37, [30, 31, 32, 33, 34]), { name: 'fixed', changed: (i) => i === 30 || i === 35 }),
    history('01', { name: 'new' }),
    history('1'.repeat(50), { name: 'broken', message: () => "Error: Cannot find module './fixtures/data.json'" }),
  ]
}

describe('analyseTests through the worker pool', () => {
  test('gives every case its verdict, in input order, with evidence and a reason', async () => {
    const { verdicts, model } = await analyseTests(suite(), null, { pool })
    expect(verdicts.map((v) => [v.test, v.verdict])).toEqual([
      ['stable', 'stable'],
      ['regression', 'failing'],
      ['retried', 'flaky'],
      ['flaky', 'flaky'],
      ['fixed', 'recovered'],
      ['new', 'new'],
      ['broken', 'failing'],
    ])
    const retried = verdicts[2]!
    expect(retried.confidence).toBeGreaterThan(0.95)
    expect(retried.expectedAttempts).toBeGreaterThan(1)
    expect(retried.evidence[0]).toMatchObject({ signal: 'passedOnRetry', detail: 'passed on retry in 7 of 50 runs' })
    expect(verdicts[0]).toMatchObject({ confidence: 1, flakyProbability: 0, evidence: [], expectedAttempts: 1, since: 1, reason: 'passed all 50 runs' })
    expect(verdicts[1]!.reason).toBe('failed the last 6 runs with the same message; no flaky evidence among them')
    expect(model.runs).toBe(1)
    expect(model.lastSeq).toBe(50)
  })

  test('is deterministic, whatever the number of threads', async () => {
    const one = new AnalysisPool({ threads: 1 })
    try {
      const cases = suite()
      const a = await analyseTests(cases, null, { pool })
      const b = await analyseTests(cases, null, { pool: one })
      expect(b).toEqual(a)
    } finally {
      await one.close()
    }
  })

  test('learns once per run: the same run analysed again teaches nothing new', async () => {
    // A failure LABEL_HORIZON runs ago that a re-run of its commit then passed: a flaky example.
    const commit = (i: number): string => `commit-${i === 31 ? 30 : i}`
    const cases = [history(failingAt(30 + LABEL_HORIZON + 1, [30]), { commit })]
    const first = await analyseTests(cases, initialModel(), { pool })
    expect(first.model.examples).toBe(1)
    const again = await analyseTests(cases, first.model, { pool })
    expect(again.model.examples).toBe(1)
    expect(again.model.runs).toBe(2)
  })

  test('carries the model from run to run like the reporter (a small simulated project)', async () => {
    const setup = { ...standardProjects(40)[0]!, files: 8 }
    const replay = await replayProject(setup, pool)
    expect(replay.model.runs).toBe(40)
    expect(replay.model.examples).toBeGreaterThan(0)
    expect(describeModel(replay.model).signals).toHaveLength(14)
    // Seeded: the same replay twice gives the same model.
    expect((await replayProject(setup, pool)).model).toEqual(replay.model)
  })

  test('rejects malformed input with the input code, and rejects when aborted', async () => {
    await expect(analyseTests('cases' as never, null, { pool })).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_INPUT })
    const bad = history('0101')
    ;(bad.observations[2] as { status: string }).status = 'skipped'
    await expect(analyseTests([bad], null, { pool })).rejects.toThrow("cases[0].observations[2].status must be 'passed' or 'failed' (got skipped)")
    await expect(analyseTests([], { version: 7 } as never, { pool })).rejects.toThrow('model has version 7, not 1')
    await expect(analyseTests([], null, { pool, disable: ['nope' as never] })).rejects.toThrow('options.disable names an unknown signal: nope')
    await expect(analyseTests([], null, {} as never)).rejects.toThrow('options.pool must be an AnalysisPool')
    const controller = new AbortController()
    controller.abort()
    await expect(analyseTests(suite(), null, { pool, signal: controller.signal })).rejects.toMatchObject({ code: ErrorCodes.ANALYSIS_CLOSED })
  })

  test('an empty analysis returns no verdicts and the model unchanged but for the count', async () => {
    const result = await analyseTests([], null, { pool })
    expect(result).toMatchObject({ verdicts: [], clusters: [] })
    expect(result.model.weights).toEqual(initialModel().weights)
  })
})

describe('labelOf', () => {
  test('a later pass on retry or on the same commit makes a failure flaky', () => {
    expect(labelOf(history(failingAt(20, [5]).slice(0, 8) + 'r' + '0'.repeat(11)).observations, 5)).toBe(1)
    expect(labelOf(history(failingAt(20, [5]), { commit: (i) => `c${i === 6 ? 5 : i}` }).observations, 5)).toBe(1)
  })

  test('a failure repeated on a re-run of its commit is real; with no re-run nothing is known', () => {
    expect(labelOf(history(failingAt(20, [5, 6]), { commit: (i) => `c${i === 6 ? 5 : i}` }).observations, 5)).toBe(0)
    expect(labelOf(history(failingAt(20, [5, 6, 7])).observations, 5)).toBeNull()
    // Retries that failed as well do not make it real: the cause may outlast a retry.
    expect(labelOf(history(failingAt(20, [5], 'x')).observations, 5)).toBeNull()
  })
})

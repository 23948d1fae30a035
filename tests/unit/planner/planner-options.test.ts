import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { DEFAULT_OPTIONS, optionsFromEnvironment, validateOptions } from '../../../src/config/options.js'

function messagesOf(input: unknown): string[] {
  const { problems } = validateOptions(input, 'options')
  for (const problem of problems) expect(problem.code).toBe(ErrorCodes.CONFIG)
  return problems.map((problem) => problem.message)
}

describe('planner options: each message names the option (and the entry)', () => {
  test.each([
    [{ policy: 'fastest' }, 'options.policy must be one of auto, edf, llf, priority, wspt, lpt, shuffle, recent, default, got "fastest"'],
    [{ policy: 3 }, 'options.policy must be one of auto, edf, llf, priority, wspt, lpt, shuffle, recent, default, got 3'],
    [{ seed: -1 }, 'options.seed must be an integer from 0 to 4294967295, got -1'],
    [{ seed: 2 ** 32 }, 'options.seed must be an integer from 0 to 4294967295, got 4294967296'],
    [{ seed: '7' }, 'options.seed must be an integer from 0 to 4294967295, got "7"'],
    [{ workers: 0 }, 'options.workers must be an integer from 1 to 1024, got 0'],
    [{ gitChanges: 'no' }, 'options.gitChanges must be true or false, got "no"'],
    [{ deadlines: ['20s'] }, 'options.deadlines must be an object of { "glob": a duration like "30s", "500ms" or "2m" }, got an array'],
    [{ deadlines: { 'smoke/**': '30 seconds' } }, 'options.deadlines["smoke/**"] must be a duration like "30s", "500ms" or "2m", got "30 seconds"'],
    [{ deadlines: { 'smoke/**': 0 } }, 'options.deadlines["smoke/**"] must be a duration like "30s", "500ms" or "2m", got 0'],
    [{ deadlines: { 'smoke/{a,b': '1s' } }, 'options.deadlines["smoke/{a,b"] is not a usable glob: it has an unclosed "{"'],
    [{ priorities: { 'smoke/**': 'urgent' } }, 'options.priorities["smoke/**"] must be one of critical, high, normal, low, got "urgent"'],
    [{ priorities: 'critical' }, 'options.priorities must be an object of { "glob": one of critical, high, normal, low }, got "critical"'],
  ])('%j', (input, message) => {
    expect(messagesOf(input)).toEqual([message])
    expect(validateOptions(input, 'options').options).toEqual({})
  })

  test('valid values pass; the defaults are auto, no deadlines or priorities, git on', () => {
    const input = { policy: 'edf', seed: 0, workers: 1024, gitChanges: false, deadlines: { 'tests/smoke/**': '20s', 'b/**': 1500 }, priorities: { 'tests/smoke/**': 'critical' } }
    expect(validateOptions(input, 'options')).toEqual({ options: input, problems: [] })
    expect(DEFAULT_OPTIONS).toMatchObject({ policy: 'auto', deadlines: {}, priorities: {}, gitChanges: true })
  })

  test('at most 1000 globs', () => {
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`g${i}/**`, '1s']))
    expect(messagesOf({ deadlines: many })).toEqual(['options.deadlines must have at most 1000 globs, got an object'])
  })
})

describe('planner environment variables', () => {
  test('FLAKELINE_POLICY, FLAKELINE_SEED, FLAKELINE_WORKERS, FLAKELINE_GIT_CHANGES', () => {
    expect(optionsFromEnvironment({ FLAKELINE_POLICY: 'shuffle', FLAKELINE_SEED: '1234', FLAKELINE_WORKERS: '3', FLAKELINE_GIT_CHANGES: 'off' })).toEqual({
      options: { policy: 'shuffle', seed: 1234, workers: 3, gitChanges: false },
      problems: [],
    })
  })

  test.each([
    ['FLAKELINE_POLICY', 'quick', 'FLAKELINE_POLICY must be one of auto, edf, llf, priority, wspt, lpt, shuffle, recent, default, got "quick"'],
    ['FLAKELINE_SEED', 'abc', 'FLAKELINE_SEED must be an integer from 0 to 4294967295, got "abc"'],
    ['FLAKELINE_WORKERS', '0', 'FLAKELINE_WORKERS must be an integer from 1 to 1024, got 0'],
  ])('%s=%s', (name, value, message) => {
    const { options, problems } = optionsFromEnvironment({ [name]: value })
    expect(options).toEqual({})
    expect(problems.map((problem) => [problem.code, problem.message])).toEqual([[ErrorCodes.CONFIG, message]])
  })
})

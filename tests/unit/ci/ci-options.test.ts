import { describe, expect, test } from 'vitest'
import { DEFAULT_OPTIONS, optionsFromEnvironment, validateOptions } from '../../../src/config/options.js'
import { ErrorCodes } from '../../../src/errors.js'

function messagesOf(input: unknown): string[] {
  const { problems } = validateOptions(input, 'options')
  for (const problem of problems) expect(problem.code).toBe(ErrorCodes.CONFIG)
  return problems.map((problem) => problem.message)
}

describe('the CI options', () => {
  test('defaults: CI outputs when GitHub says so, failures annotated unless the runner does, quarantine off at 90%', () => {
    expect(DEFAULT_OPTIONS).toMatchObject({ ci: 'auto', annotateFailures: 'auto', quarantine: false, quarantineMinConfidence: 0.9 })
  })

  test.each([
    [{ ci: 'gitlab' }, 'options.ci must be "auto", "github" or "none", got "gitlab"'],
    [{ annotateFailures: 'yes' }, 'options.annotateFailures must be true, false or "auto", got "yes"'],
    [{ quarantine: 'all' }, 'options.quarantine must be true, false or a non-empty array of path globs, got "all"'],
    [{ quarantine: [] }, 'options.quarantine must be true, false or a non-empty array of path globs, got an array'],
    [{ quarantine: ['tests/**', 3] }, 'options.quarantine[1] must be a path glob, got 3'],
    [{ quarantine: ['tests/{a'] }, 'options.quarantine[0] is not a usable glob: it has an unclosed "{", got "tests/{a"'],
    [{ quarantineMinConfidence: 1.5 }, 'options.quarantineMinConfidence must be a number from 0 to 1, got 1.5'],
    [{ quarantineMinConfidence: '0.9' }, 'options.quarantineMinConfidence must be a number from 0 to 1, got "0.9"'],
  ])('%j', (input, message) => {
    expect(messagesOf(input)).toEqual([message])
  })

  test('valid values pass', () => {
    expect(validateOptions({ ci: 'github', annotateFailures: false, quarantine: ['tests/e2e/**'], quarantineMinConfidence: 0.75 }, 'options')).toEqual({
      options: { ci: 'github', annotateFailures: false, quarantine: ['tests/e2e/**'], quarantineMinConfidence: 0.75 },
      problems: [],
    })
  })

  test('from the environment', () => {
    expect(optionsFromEnvironment({ FLAKELINE_CI: 'none', FLAKELINE_ANNOTATE_FAILURES: 'off', FLAKELINE_QUARANTINE: '1', FLAKELINE_QUARANTINE_MIN_CONFIDENCE: '.8' })).toEqual({
      options: { ci: 'none', annotateFailures: false, quarantine: true, quarantineMinConfidence: 0.8 },
      problems: [],
    })
    expect(optionsFromEnvironment({ FLAKELINE_QUARANTINE_MIN_CONFIDENCE: 'high' }).problems.map((problem) => problem.message)).toEqual(['FLAKELINE_QUARANTINE_MIN_CONFIDENCE must be a number from 0 to 1, got "high"'])
  })
})

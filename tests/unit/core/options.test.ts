import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { DEFAULT_OPTIONS, optionsFromEnvironment, validateOptions } from '../../../src/config/options.js'
import { findPackageRoot, loadOptions } from '../../../src/config/load-options.js'
import { useScratch } from './_fixtures.js'

const scratch = useScratch()
const KNOWN = 'dir, historyLimit, strict, enabled, maxMessageLength, quiet, runId, policy, deadlines, priorities, seed, workers, gitChanges, serve, hub, token, shardPlan, analysis, analysisTimeout, flakyPlacement, ci, annotateFailures, quarantine, quarantineMinConfidence'
const RUN_ID_RULE = 'must be 1 to 128 characters of letters, digits, ".", "_", ":" or "-"'

function messagesOf(input: unknown): string[] {
  const { problems } = validateOptions(input, 'options')
  for (const problem of problems) expect(problem.code).toBe(ErrorCodes.CONFIG)
  return problems.map((problem) => problem.message)
}

describe('validateOptions names the option in every message', () => {
  test.each([
    [{ dir: '' }, 'options.dir must be a non-empty string, got ""'],
    [{ dir: 42 }, 'options.dir must be a non-empty string, got 42'],
    [{ dir: null }, 'options.dir must be a non-empty string, got null'],
    [{ historyLimit: 0 }, 'options.historyLimit must be an integer from 1 to 100000, got 0'],
    [{ historyLimit: 1.5 }, 'options.historyLimit must be an integer from 1 to 100000, got 1.5'],
    [{ historyLimit: 100_001 }, 'options.historyLimit must be an integer from 1 to 100000, got 100001'],
    [{ historyLimit: '200' }, 'options.historyLimit must be an integer from 1 to 100000, got "200"'],
    [{ historyLimit: [3] }, 'options.historyLimit must be an integer from 1 to 100000, got an array'],
    [{ strict: 'yes' }, 'options.strict must be true or false, got "yes"'],
    [{ enabled: 1 }, 'options.enabled must be true or false, got 1'],
    [{ quiet: {} }, 'options.quiet must be true or false, got an object'],
    [{ maxMessageLength: 0 }, 'options.maxMessageLength must be an integer from 1 to 1000000, got 0'],
    [{ maxMessageLength: 1_000_001 }, 'options.maxMessageLength must be an integer from 1 to 1000000, got 1000001'],
    [{ runId: 'has space' }, `options.runId ${RUN_ID_RULE}, got "has space"`],
    [{ runId: '' }, `options.runId ${RUN_ID_RULE}, got ""`],
    [{ runId: 'x'.repeat(129) }, `options.runId ${RUN_ID_RULE}, got "${'x'.repeat(57)}..."`],
  ])('%j', (input, message) => {
    expect(messagesOf(input)).toEqual([message])
    expect(validateOptions(input, 'options').options).toEqual({})
  })

  test('unknown options are listed with the known ones', () => {
    expect(messagesOf({ colour: true, historyLimit: 5 })).toEqual([`options: unknown option "colour" (known options: ${KNOWN})`])
  })

  test('the layer itself must be an object', () => {
    expect(messagesOf(42)).toEqual(['options must be an object, got 42'])
    expect(messagesOf('strict')).toEqual(['options must be an object, got "strict"'])
    expect(messagesOf([])).toEqual(['options must be an object, got an array'])
  })

  test('valid values pass through, undefined ones are skipped, bounds are inclusive', () => {
    const input = { dir: 'tmp/store', historyLimit: 100_000, strict: true, enabled: false, maxMessageLength: 1, quiet: true, runId: 'ci-1234.5_a:b' }
    expect(validateOptions({ ...input, notAnOption: undefined }, 'options')).toEqual({ options: input, problems: [] })
    expect(validateOptions(undefined, 'options')).toEqual({ options: {}, problems: [] })
    expect(validateOptions(null, 'options')).toEqual({ options: {}, problems: [] })
  })

  test('one problem per bad option, the good ones kept', () => {
    const { options, problems } = validateOptions({ historyLimit: -1, strict: true, quiet: 'no' }, 'options')
    expect(options).toEqual({ strict: true })
    expect(problems.map((problem) => problem.message)).toEqual([
      'options.historyLimit must be an integer from 1 to 100000, got -1',
      'options.quiet must be true or false, got "no"',
    ])
  })
})

describe('optionsFromEnvironment', () => {
  test('parses every variable', () => {
    const { options, problems } = optionsFromEnvironment({
      FLAKELINE_DIR: '/var/flakeline',
      FLAKELINE_HISTORY_LIMIT: ' 12 ',
      FLAKELINE_STRICT: 'YES',
      FLAKELINE_ENABLED: '0',
      FLAKELINE_MAX_MESSAGE_LENGTH: '300',
      FLAKELINE_QUIET: 'on',
      FLAKELINE_RUN_ID: 'job-7',
      FLAKELINE_COLOUR: 'blue',
    })
    expect(problems).toEqual([])
    expect(options).toEqual({ dir: '/var/flakeline', historyLimit: 12, strict: true, enabled: false, maxMessageLength: 300, quiet: true, runId: 'job-7' })
  })

  test('empty variables are ignored', () => {
    expect(optionsFromEnvironment({ FLAKELINE_DIR: '', FLAKELINE_STRICT: '' })).toEqual({ options: {}, problems: [] })
  })

  test.each([
    ['FLAKELINE_HISTORY_LIMIT', 'abc', 'FLAKELINE_HISTORY_LIMIT must be an integer from 1 to 100000, got "abc"'],
    ['FLAKELINE_HISTORY_LIMIT', '-5', 'FLAKELINE_HISTORY_LIMIT must be an integer from 1 to 100000, got "-5"'],
    ['FLAKELINE_HISTORY_LIMIT', '0', 'FLAKELINE_HISTORY_LIMIT must be an integer from 1 to 100000, got 0'],
    ['FLAKELINE_MAX_MESSAGE_LENGTH', '1e3', 'FLAKELINE_MAX_MESSAGE_LENGTH must be an integer from 1 to 1000000, got "1e3"'],
    ['FLAKELINE_STRICT', 'maybe', 'FLAKELINE_STRICT must be true or false (or 1/0), got "maybe"'],
    ['FLAKELINE_ENABLED', '2', 'FLAKELINE_ENABLED must be true or false (or 1/0), got "2"'],
    ['FLAKELINE_QUIET', 'loud', 'FLAKELINE_QUIET must be true or false (or 1/0), got "loud"'],
    ['FLAKELINE_RUN_ID', 'a b', `FLAKELINE_RUN_ID ${RUN_ID_RULE}, got "a b"`],
  ])('%s=%s', (name, value, message) => {
    const { options, problems } = optionsFromEnvironment({ [name]: value })
    expect(options).toEqual({})
    expect(problems.map((problem) => [problem.code, problem.message])).toEqual([[ErrorCodes.CONFIG, message]])
  })
})

describe('loadOptions', () => {
  test('defaults when nothing is set', async () => {
    const root = scratch.dir()
    const { options, problems } = await loadOptions(root, undefined, {})
    expect(problems).toEqual([])
    expect(options).toEqual({ ...DEFAULT_OPTIONS, dir: join(root, '.flakeline'), root, configFile: null })
  })

  test('precedence: defaults < config file < inline < environment', async () => {
    const root = scratch.dir()
    const file = join(root, 'flakeline.config.json')
    writeFileSync(file, JSON.stringify({ historyLimit: 10, quiet: true, maxMessageLength: 50, dir: 'from-file' }))
    const { options, problems } = await loadOptions(root, { historyLimit: 20, maxMessageLength: 60 }, { FLAKELINE_MAX_MESSAGE_LENGTH: '70' })
    expect(problems).toEqual([])
    expect(options).toEqual({
      historyLimit: 20,
      quiet: true,
      maxMessageLength: 70,
      strict: false,
      enabled: true,
      policy: 'auto',
      deadlines: {},
      priorities: {},
      gitChanges: true,
      analysis: true,
      analysisTimeout: 30_000,
      flakyPlacement: 'last',
      ci: 'auto',
      annotateFailures: 'auto',
      quarantine: false,
      quarantineMinConfidence: 0.9,
      dir: join(root, 'from-file'),
      root,
      configFile: file,
    })
  })

  test('an .mjs config file is imported; the environment dir beats it and an absolute dir stays', async () => {
    const root = scratch.dir()
    const file = join(root, 'flakeline.config.mjs')
    writeFileSync(file, 'export default { historyLimit: 7, strict: true, dir: "store" }\n')
    const fromFile = await loadOptions(root, undefined, {})
    expect(fromFile.options).toMatchObject({ historyLimit: 7, strict: true, dir: join(root, 'store'), configFile: file })
    const other = scratch.dir()
    const fromEnv = await loadOptions(root, { dir: 'inline' }, { FLAKELINE_DIR: other })
    expect(fromEnv.options.dir).toBe(other)
  })

  test('flakeline.config.json wins over .mjs', async () => {
    const root = scratch.dir()
    writeFileSync(join(root, 'flakeline.config.json'), '{"historyLimit": 3}')
    writeFileSync(join(root, 'flakeline.config.mjs'), 'export default { historyLimit: 4 }\n')
    const { options } = await loadOptions(root, undefined, {})
    expect([options.historyLimit, options.configFile]).toEqual([3, join(root, 'flakeline.config.json')])
  })

  test('an invalid option falls back to the layer below and is reported with the file name', async () => {
    const root = scratch.dir()
    const file = join(root, 'flakeline.config.json')
    writeFileSync(file, JSON.stringify({ historyLimit: 9, quiet: 'sure' }))
    const { options, problems } = await loadOptions(root, { historyLimit: 0 }, { FLAKELINE_STRICT: 'maybe' })
    expect(options).toMatchObject({ historyLimit: 9, quiet: false, strict: false })
    expect(problems.map((problem) => [problem.code, problem.message])).toEqual([
      [ErrorCodes.CONFIG, `${file}: quiet must be true or false, got "sure"`],
      [ErrorCodes.CONFIG, 'options.historyLimit must be an integer from 1 to 100000, got 0'],
      [ErrorCodes.CONFIG, 'FLAKELINE_STRICT must be true or false (or 1/0), got "maybe"'],
    ])
  })

  test('a config file that is not an object is reported', async () => {
    const root = scratch.dir()
    const file = join(root, 'flakeline.config.json')
    writeFileSync(file, '[1, 2]')
    const { problems } = await loadOptions(root, undefined, {})
    expect(problems.map((problem) => [problem.code, problem.message])).toEqual([[ErrorCodes.CONFIG, `${file} must be an object, got an array`]])
  })

  test.each([
    ['flakeline.config.json', '{ "historyLimit": 3,, }'],
    ['flakeline.config.mjs', 'throw new Error("config exploded")\n'],
    ['flakeline.config.mjs', 'export default {\n'],
  ])('a broken %s gives FLAKELINE_E_CONFIG_FILE and the defaults still apply', async (name, text) => {
    const root = scratch.dir()
    const file = join(root, name)
    writeFileSync(file, text)
    const { options, problems } = await loadOptions(root, { quiet: true }, {})
    expect(problems).toHaveLength(1)
    expect(problems[0]!.code).toBe(ErrorCodes.CONFIG_FILE)
    expect(problems[0]!.message.startsWith(`cannot read ${file}: `)).toBe(true)
    if (name.endsWith('.mjs') && text.startsWith('throw')) expect(problems[0]!.message).toBe(`cannot read ${file}: config exploded`)
    expect(options).toEqual({ ...DEFAULT_OPTIONS, quiet: true, dir: join(root, '.flakeline'), root, configFile: file })
  })
})

describe('findPackageRoot', () => {
  test('walks up to the nearest package.json', () => {
    const root = scratch.dir()
    writeFileSync(join(root, 'package.json'), '{}')
    const deep = join(root, 'packages', 'web', 'src')
    mkdirSync(deep, { recursive: true })
    expect(findPackageRoot(deep)).toBe(root)
    writeFileSync(join(root, 'packages', 'web', 'package.json'), '{}')
    expect(findPackageRoot(deep)).toBe(join(root, 'packages', 'web'))
    expect(findPackageRoot(join(root, 'packages', 'web'))).toBe(join(root, 'packages', 'web'))
  })

  test('without any package.json above, the start directory itself', () => {
    const start = join(scratch.dir(), 'a', 'b')
    mkdirSync(start, { recursive: true })
    expect(findPackageRoot(`${start}/../b`)).toBe(start)
  })
})

import { describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { optionsFromEnvironment, validateOptions } from '../../../src/config/options.js'
import { shownHubUrl } from '../../../src/transport/hub-url.js'

describe('a token is never echoed', () => {
  test('a refused token is described by its length, in code and from FLAKELINE_TOKEN', () => {
    const inline = validateOptions({ token: 'SECRET 42' }, 'options')
    expect(inline.problems.map((problem) => [problem.code, problem.message])).toEqual([
      [ErrorCodes.CONFIG, 'options.token must be at least 16 characters without spaces, got a value of 9 characters (not shown)'],
    ])
    const env = optionsFromEnvironment({ FLAKELINE_TOKEN: 'SECRET_VALUE_42' })
    expect(env.problems.map((problem) => problem.message)).toEqual(['FLAKELINE_TOKEN must be at least 16 characters without spaces, got a value of 15 characters (not shown)'])
    expect(env.options.token).toBeUndefined()
  })

  test('a token in a hub URL is masked where messages show the URL', () => {
    expect(shownHubUrl('ws://127.0.0.1:7357/ws?token=SECRET_VALUE_42')).toBe('ws://127.0.0.1:7357/ws?token=***')
    expect(shownHubUrl('ws://h:1/ws?a=1&TOKEN=x&b=2#f')).toBe('ws://h:1/ws?a=1&TOKEN=***&b=2#f')
    expect(shownHubUrl('quic://h:7358?fingerprint=ab')).toBe('quic://h:7358?fingerprint=ab')
  })
})

import { describe, expect, test } from 'vitest'
import { Notices } from '../../../src/core/notices.js'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'

describe('Notices', () => {
  test('one problem is one warning: the same message twice, or the same root cause reported by another part', () => {
    const lines: string[] = []
    const notices = new Notices({ sink: (line) => lines.push(line) })
    const corrupt = new FlakelineError(ErrorCodes.STORE_CORRUPT, 'cannot open the flakeline store at /p/.flakeline: MDB_INVALID')
    notices.warn(corrupt)
    notices.warn(corrupt)
    notices.warn(new FlakelineError(ErrorCodes.SEQUENCER, 'cannot plan the order (FLAKELINE_E_STORE_CORRUPT: …); using vitest\'s default order', { cause: corrupt }))
    notices.warn(new FlakelineError(ErrorCodes.CONFIG, 'options.historyLimit must be an integer'))
    expect(lines).toEqual([
      'flakeline: warning FLAKELINE_E_STORE_CORRUPT: cannot open the flakeline store at /p/.flakeline: MDB_INVALID',
      'flakeline: warning FLAKELINE_E_CONFIG: options.historyLimit must be an integer',
    ])
  })

  test('on the terminal, the sequencer\'s and the reporter\'s Notices share what was said until the run ends', () => {
    const written: string[] = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write
    try {
      const problem = new FlakelineError(ErrorCodes.STORE_OPEN, 'cannot open the flakeline store at /p: EACCES')
      new Notices().warn(problem)
      new Notices().warn(problem)
      Notices.endRun()
      new Notices().warn(problem)
    } finally {
      process.stderr.write = write
      Notices.endRun()
    }
    expect(written).toEqual(['flakeline: warning FLAKELINE_E_STORE_OPEN: cannot open the flakeline store at /p: EACCES\n', 'flakeline: warning FLAKELINE_E_STORE_OPEN: cannot open the flakeline store at /p: EACCES\n'])
  })
})

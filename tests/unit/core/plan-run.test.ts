import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { Notices } from '../../../src/core/notices.js'
import { planRun } from '../../../src/core/plan-run.js'
import { fileRecord, putMeta, recordRun, useScratch } from './_fixtures.js'

// planRun reads FLAKELINE_* from process.env; these tests set options inline only.
for (const name of Object.keys(process.env)) if (name.startsWith('FLAKELINE_')) delete process.env[name]

const scratch = useScratch()

function setup(): { root: string; lines: string[]; notices: Notices } {
  const root = scratch.dir()
  writeFileSync(join(root, 'package.json'), '{}')
  const lines: string[] = []
  return { root, lines, notices: new Notices({ sink: (line) => lines.push(line) }) }
}

async function withHistory(root: string): Promise<void> {
  const store = scratch.open(join(root, '.flakeline'), { historyLimit: 200 })
  await recordRun(store, [fileRecord(0, 'slow.test.ts', 'passed', 900), fileRecord(0, 'fast.test.ts', 'passed', 30), fileRecord(0, 'broken.test.ts', 'passed', 10)])
  await recordRun(store, [fileRecord(0, 'slow.test.ts', 'passed', 1_100), fileRecord(0, 'fast.test.ts', 'passed', 50), fileRecord(0, 'broken.test.ts', 'failed', 12)])
  await store.close()
}

const FILES = ['fast.test.ts', 'slow.test.ts', 'new.test.ts', 'broken.test.ts']

describe('planRun', () => {
  test('no store: null, with one "no history yet" notice, and nothing created', async () => {
    const { root, lines, notices } = setup()
    expect(await planRun({ root, fileIds: FILES, runner: 'vitest', notices })).toBeNull()
    expect(lines).toEqual([`flakeline: no history yet in ${join(root, '.flakeline')}; using vitest's default order this run`])
    expect(notices.lastError).toBeUndefined()
  })

  test('a store without file histories: the same notice', async () => {
    const { root, lines, notices } = setup()
    await scratch.open(join(root, '.flakeline'), { historyLimit: 200 }).close()
    expect(await planRun({ root, fileIds: FILES, runner: 'jest', notices })).toBeNull()
    expect(lines).toEqual([`flakeline: no history yet in ${join(root, '.flakeline')}; using jest's default order this run`])
  })

  test('with history: the auto plan, silently', async () => {
    const { root, lines, notices } = setup()
    await withHistory(root)
    const plan = await planRun({ root, fileIds: FILES, runner: 'vitest', notices, explain: true })
    // Fail-fast by probability per predicted ms: the file that just failed (p .56 over 11 ms), the new
    // file (4 × the 2.7% prior at the 40 ms median), then fast before slow (2% over 40 ms, 5% over 1 s).
    expect(plan).toMatchObject({ policy: 'auto', workers: 1, seed: null, misses: [] })
    expect(plan!.order.map((file) => [file.fileId, file.predictedMs, file.lastStatus])).toEqual([
      ['broken.test.ts', 11, 'failed'],
      ['new.test.ts', null, null],
      ['fast.test.ts', 40, 'passed'],
      ['slow.test.ts', 1_000, 'passed'],
    ])
    expect(plan!.order.map((file) => file.reason)).toEqual([
      'fail-fast: failed in its last run: p(fail) 56% over 11 ms',
      'fail-fast: never run before: p(fail) 11% over ~40 ms (suite median)',
      'fail-fast: passed its last 2 runs: p(fail) 1.9% over 40 ms',
      'fail-fast: passed its last 2 runs: p(fail) 5.0% over 1.0 s',
    ])
    expect(plan!.predictedMakespanMs).toBe(11 + 40 + 40 + 1_000)
    expect(lines).toEqual([])
  })

  test('policy "default" leaves the order to the runner, without a notice', async () => {
    const { root, lines, notices } = setup()
    await withHistory(root)
    expect(await planRun({ root, fileIds: FILES, inline: { policy: 'default' }, runner: 'vitest', notices })).toBeNull()
    expect(lines).toEqual([])
  })

  test('the store is found through inline and config-file dir options', async () => {
    const { root, notices } = setup()
    await withHistory(join(root, 'elsewhere'))
    const inline = await planRun({ root, fileIds: ['fast.test.ts'], inline: { dir: 'elsewhere/.flakeline' }, runner: 'vitest', notices })
    expect(inline?.order.map((file) => file.predictedMs)).toEqual([40])
    writeFileSync(join(root, 'flakeline.config.json'), '{"dir": "elsewhere/.flakeline"}')
    const fromFile = await planRun({ root, fileIds: ['fast.test.ts'], runner: 'vitest', notices })
    expect(fromFile?.order.map((file) => file.predictedMs)).toEqual([40])
  })

  test('enabled: false plans nothing and says nothing', async () => {
    const { root, lines, notices } = setup()
    await withHistory(root)
    expect(await planRun({ root, fileIds: FILES, inline: { enabled: false }, runner: 'vitest', notices })).toBeNull()
    expect(lines).toEqual([])
  })

  test('a bad option is warned and planning goes on; in strict mode it rejects', async () => {
    const { root, lines, notices } = setup()
    await withHistory(root)
    const plan = await planRun({ root, fileIds: FILES, inline: { historyLimit: 'lots' }, runner: 'vitest', notices })
    expect(plan?.order).toHaveLength(4)
    expect(lines).toEqual(['flakeline: warning FLAKELINE_E_CONFIG: options.historyLimit must be an integer from 1 to 100000, got "lots"'])
    await expect(planRun({ root, fileIds: FILES, inline: { historyLimit: 'lots', strict: true }, runner: 'vitest', notices })).rejects.toMatchObject({
      code: ErrorCodes.CONFIG,
    })
  })

  test('quiet notices drop the "no history" line', async () => {
    const { root } = setup()
    const lines: string[] = []
    const notices = new Notices({ quiet: true, sink: (line) => lines.push(line) })
    expect(await planRun({ root, fileIds: FILES, runner: 'vitest', notices })).toBeNull()
    expect(lines).toEqual([])
  })
})

describe('planRun with an unusable store', () => {
  async function corrupt(root: string): Promise<string> {
    const dir = join(root, '.flakeline')
    mkdirSync(dir)
    await putMeta(dir, 'schema', 'one')
    return dir
  }

  test('non-strict: null and one warning naming the default order', async () => {
    const { root, lines, notices } = setup()
    const dir = await corrupt(root)
    expect(await planRun({ root, fileIds: FILES, runner: 'vitest', notices })).toBeNull()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toBe(
      `flakeline: warning FLAKELINE_E_SEQUENCER: cannot plan the order (FLAKELINE_E_STORE_CORRUPT: the flakeline store at ${dir} has an unreadable schema marker); using vitest's default order`,
    )
    const cause = notices.lastError?.cause
    expect(cause).toBeInstanceOf(FlakelineError)
    expect((cause as FlakelineError).code).toBe(ErrorCodes.STORE_CORRUPT)
  })

  // The code is the one errors.ts documents for "the runner's default order was used"; the store's own code is in the text and the cause.
  test('the warning is coded FLAKELINE_E_SEQUENCER', async () => {
    const { root, lines, notices } = setup()
    await corrupt(root)
    await planRun({ root, fileIds: FILES, runner: 'vitest', notices })
    expect(notices.lastError?.code).toBe(ErrorCodes.SEQUENCER)
    expect(lines[0]!.startsWith('flakeline: warning FLAKELINE_E_SEQUENCER: cannot plan the order (FLAKELINE_E_STORE_CORRUPT: ')).toBe(true)
  })

  test('strict: rejects with the store problem', async () => {
    const { root, lines, notices } = setup()
    const dir = await corrupt(root)
    const planning = planRun({ root, fileIds: FILES, inline: { strict: true }, runner: 'vitest', notices })
    await expect(planning).rejects.toBeInstanceOf(FlakelineError)
    await expect(planning).rejects.toThrow(`the flakeline store at ${dir} has an unreadable schema marker`)
    expect(lines).toEqual([])
  })

  test('a store of another schema is not planned from', async () => {
    const { root, lines, notices } = setup()
    const dir = join(root, '.flakeline')
    mkdirSync(dir)
    await putMeta(dir, 'schema', 7)
    expect(await planRun({ root, fileIds: FILES, runner: 'jest', notices })).toBeNull()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`has schema 7, newer than this flakeline understands (2); upgrade flakeline or use another dir); using jest's default order`)
  })
})

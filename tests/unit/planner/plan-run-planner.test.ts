import { execFileSync } from 'node:child_process'
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { classifyChanges, changedPaths, fileStem, parseStatus, workTreeSnapshot, workTreeTop } from '../../../src/core/changed-files.js'
import { deadlineReport } from '../../../src/core/deadline-misses.js'
import { Notices } from '../../../src/core/notices.js'
import { planRun } from '../../../src/core/plan-run.js'
import { startRecording } from '../../../src/core/start-recording.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { fileRecord, recordRun, testRecord, useScratch } from '../core/_fixtures.js'

for (const name of Object.keys(process.env)) if (name.startsWith('FLAKELINE_')) delete process.env[name]

const scratch = useScratch()

function project(): { root: string; lines: string[]; notices: Notices } {
  const root = scratch.dir()
  writeFileSync(join(root, 'package.json'), '{}')
  mkdirSync(join(root, 'tests'))
  const lines: string[] = []
  return { root, lines, notices: new Notices({ sink: (line) => lines.push(line) }) }
}

const FILES = ['tests/a.test.ts', 'tests/b.test.ts', 'tests/c.test.ts', 'tests/d.test.ts']

async function history(root: string): Promise<void> {
  const store = scratch.open(join(root, '.flakeline'), { historyLimit: 200 })
  for (let r = 0; r < 3; r++) {
    await recordRun(store, [fileRecord(0, 'tests/a.test.ts', 'passed', 100), fileRecord(0, 'tests/b.test.ts', 'passed', 2_000), fileRecord(0, 'tests/c.test.ts', 'passed', 500), fileRecord(0, 'tests/d.test.ts', 'passed', 50)])
  }
  await store.updatePlanIndex(FILES)
  await store.close()
}

describe('planRun: schedules and changes reach the sequencers', () => {
  test('a critical pragma puts its file first; a config deadline comes next', async () => {
    const { root, notices } = project()
    await history(root)
    writeFileSync(join(root, 'tests', 'b.test.ts'), '/** @flakeline-priority critical */\n')
    const plan = await planRun({ root, fileIds: FILES, runner: 'vitest', notices, inline: { deadlines: { 'tests/c.test.ts': '1s' }, gitChanges: false } })
    expect(plan!.order.map((file) => file.fileId).slice(0, 2)).toEqual(['tests/b.test.ts', 'tests/c.test.ts'])
  })

  test('without history, a critical file still runs first (priority policy), and the notice says so', async () => {
    const { root, lines, notices } = project()
    writeFileSync(join(root, 'tests', 'c.test.ts'), '/**\n * @flakeline-priority critical\n */\n')
    const plan = await planRun({ root, fileIds: FILES, runner: 'vitest', notices })
    expect(plan).toMatchObject({ policy: 'priority' })
    expect(plan!.order.map((file) => file.fileId)).toEqual(['tests/c.test.ts', 'tests/a.test.ts', 'tests/b.test.ts', 'tests/d.test.ts'])
    expect(lines).toEqual([`flakeline: no history yet in ${join(root, '.flakeline')}; using vitest's default order this run, with priorities and deadlines applied`])
  })

  test('a bad pragma is warned with FLAKELINE_E_PRAGMA and the file keeps its schedule', async () => {
    const { root, lines, notices } = project()
    await history(root)
    writeFileSync(join(root, 'tests', 'a.test.ts'), '// @flakeline-priority asap\n')
    const plan = await planRun({ root, fileIds: FILES, runner: 'vitest', notices, inline: { gitChanges: false } })
    expect(plan!.order.find((file) => file.fileId === 'tests/a.test.ts')!.priority).toBe('normal')
    expect(lines).toEqual(['flakeline: warning FLAKELINE_E_PRAGMA: tests/a.test.ts line 1: @flakeline-priority must be one of critical, high, normal, low, got "asap"'])
  })

  test('a deadline predicted to be missed is announced before the run', async () => {
    const { root, lines, notices } = project()
    await history(root)
    await planRun({ root, fileIds: FILES, runner: 'jest', notices, workers: 1, inline: { deadlines: { 'tests/b.test.ts': '1s' }, gitChanges: false } })
    expect(lines).toEqual(['flakeline: 1 deadline predicted to be missed on 1 worker: tests/b.test.ts (deadline 1.0 s, predicted finish 2.0 s)'])
  })

  test('shuffle announces its seed; the seed option repeats the order', async () => {
    const { root, lines, notices } = project()
    await history(root)
    const first = await planRun({ root, fileIds: FILES, runner: 'vitest', notices, inline: { policy: 'shuffle', seed: 5, gitChanges: false } })
    const again = await planRun({ root, fileIds: FILES, runner: 'vitest', notices, inline: { policy: 'shuffle', seed: 5, gitChanges: false } })
    expect(again!.order.map((f) => f.fileId)).toEqual(first!.order.map((f) => f.fileId))
    expect(lines[0]).toBe('flakeline: shuffled with seed 5; FLAKELINE_SEED=5 repeats this order')
  })

  test('in a git repository, a test file changed since the last run goes first; one whose source changed is raised', async () => {
    const { root, notices } = project()
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    git('init', '-q')
    mkdirSync(join(root, 'src'))
    for (const file of [...FILES, 'src/c.ts']) writeFileSync(join(root, file), '// v1\n')
    writeFileSync(join(root, '.gitignore'), '.flakeline\n')
    git('add', '.')
    git('commit', '-qm', 'v1')
    const head = git('rev-parse', 'HEAD').toString().trim()
    await history(root)
    writeFileSync(join(root, 'tests', 'd.test.ts'), '// v2\n')
    writeFileSync(join(root, 'src', 'c.ts'), '// v2\n')
    expect(Array.from((await changedPaths(root, { commit: head }))!).sort()).toEqual(['src/c.ts', 'tests/d.test.ts'])
    const plan = await planRun({ root, fileIds: FILES, runner: 'vitest', notices, workers: 1, explain: true })
    expect(plan!.order[0]).toMatchObject({ fileId: 'tests/d.test.ts' })
    expect(plan!.order[0]!.reason).toMatch(/^fail-fast: changed since the last run: /)
    expect(plan!.order.find((file) => file.fileId === 'tests/c.test.ts')!.reason).toMatch(/its source changed since the last run/)
    expect(await changedPaths(scratch.dir(), null)).toBeNull()
    // Committed since the recorded commit, plus untracked; from a subdirectory, relative to it.
    git('commit', '-qam', 'v2')
    writeFileSync(join(root, 'src', 'e.ts'), '// new\n')
    expect(Array.from((await changedPaths(root, { commit: head }))!).sort()).toEqual(['src/c.ts', 'src/e.ts', 'tests/d.test.ts'])
    expect(Array.from((await changedPaths(root, null))!)).toEqual(['src/e.ts'])
    expect(Array.from((await changedPaths(join(root, 'src'), { commit: head }))!).sort()).toEqual(['c.ts', 'e.ts'])
  })

  test('an uncommitted file the last run already tested, untouched since, is not changed; edited again, it is', async () => {
    const root = scratch.dir()
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    git('init', '-q')
    mkdirSync(join(root, 'tests'))
    writeFileSync(join(root, 'tests', 'a.test.ts'), '// v1\n')
    git('add', '.')
    git('commit', '-qm', 'v1')
    const head = git('rev-parse', 'HEAD').toString().trim()
    writeFileSync(join(root, 'tests', 'a.test.ts'), '// v2, never committed\n')
    writeFileSync(join(root, 'tests', 'new.test.ts'), '// new\n')
    const snapshot = (await workTreeSnapshot(root, join(root, '.flakeline')))!
    expect(Object.keys(snapshot).sort()).toEqual(['tests/a.test.ts', 'tests/new.test.ts'])
    // The next plan: nothing edited since that run.
    expect(await changedPaths(root, { commit: head, changedFiles: snapshot })).toEqual(new Set())
    writeFileSync(join(root, 'tests', 'new.test.ts'), '// edited after the run\n')
    expect(await changedPaths(root, { commit: head, changedFiles: snapshot })).toEqual(new Set(['tests/new.test.ts']))
    // Committed as it was tested: still not a change; reverted to v1: a change.
    git('add', 'tests/a.test.ts')
    git('commit', '-qm', 'v2')
    expect(await changedPaths(root, { commit: head, changedFiles: snapshot })).toEqual(new Set(['tests/new.test.ts']))
    git('revert', '--no-edit', 'HEAD')
    expect(await changedPaths(root, { commit: head, changedFiles: snapshot })).toEqual(new Set(['tests/a.test.ts', 'tests/new.test.ts']))
  })

  test('parseStatus reads HEAD and every path of git status --porcelain=v2 -z, spaces and renames included', () => {
    const oid = 'c'.repeat(40)
    const output = [
      `# branch.oid ${oid}`,
      '# branch.head main',
      '1 .M N... 100644 100644 100644 aaaa aaaa src/a file.ts',
      '1 A. N... 000000 100644 100644 0000 bbbb tests/new.test.ts',
      '2 R. N... 100644 100644 100644 aaaa aaaa R100 src/renamed.ts',
      'src/original.ts',
      'u UU N... 100644 100644 100644 100644 aaaa bbbb cccc src/conflict.ts',
      '? notes/untracked one.md',
      '',
    ].join('\0')
    expect(parseStatus(output)).toEqual({ head: oid, paths: ['src/a file.ts', 'tests/new.test.ts', 'src/renamed.ts', 'src/original.ts', 'src/conflict.ts', 'notes/untracked one.md'] })
    expect(parseStatus('# branch.oid (initial)\0? a.ts\0').head).toBeNull()
  })

  test('workTreeTop finds the nearest .git upwards, or null', () => {
    const top = scratch.dir()
    mkdirSync(join(top, '.git'))
    mkdirSync(join(top, 'packages', 'web'), { recursive: true })
    expect(workTreeTop(join(top, 'packages', 'web'))).toBe(realpathSync(top))
    expect(workTreeTop(join(top, 'missing'))).toBeNull()
  })

  test('fileStem and classifyChanges', () => {
    expect(['tests/cart.test.ts', 'src/cart.ts', 'a/cart.spec.mjs', 'cart'].map(fileStem)).toEqual(['cart', 'cart', 'cart', 'cart'])
    expect(classifyChanges(['tests/cart.test.ts', 'tests/user.test.ts', 'tests/misc.test.ts'], new Set(['tests/cart.test.ts', 'src/user.ts']))).toEqual([
      { kind: 'changed', because: 'tests/cart.test.ts' },
      { kind: 'related', because: 'src/user.ts (same name)' },
      null,
    ])
  })

  test('classifyChanges: a changed test relates no other test; same-name sources go to the test in the matching folder', () => {
    const tests = ['test/duration/info.test.js', 'test/interval/info.test.js', 'test/datetime/info.test.js']
    expect(classifyChanges(tests, new Set(['test/duration/info.test.js']))).toEqual([{ kind: 'changed', because: 'test/duration/info.test.js' }, null, null])
    expect(classifyChanges(tests, new Set(['src/duration/info.js']))).toEqual([{ kind: 'related', because: 'src/duration/info.js (same name)' }, null, null])
  })

  test('classifyChanges: same-folder units and __tests__ folders', () => {
    expect(classifyChanges(['src/endOfMonth/test.ts', 'src/addDays/test.ts'], new Set(['src/endOfMonth/index.ts']))).toEqual([
      { kind: 'related', because: 'src/endOfMonth/index.ts (same folder)' },
      null,
    ])
    expect(classifyChanges(['src/cart/__tests__/totals.test.ts', 'src/user/__tests__/login.test.ts'], new Set(['src/cart/index.ts']))).toEqual([
      { kind: 'related', because: 'src/cart/index.ts (its __tests__ folder)' },
      null,
    ])
    expect(classifyChanges(['src/cart.test.ts', 'src/user.test.ts'], new Set(['src/cart.ts']))).toEqual([{ kind: 'related', because: 'src/cart.ts (same name)' }, null])
  })
})

describe('deadline misses are recorded with the run', () => {
  test('deadlineReport: finish time from the run start, config and pragma deadlines', () => {
    const root = scratch.dir()
    mkdirSync(join(root, 'tests'))
    writeFileSync(join(root, 'tests', 'pragma.test.ts'), '/** @flakeline-deadline 1s */\n')
    const report = deadlineReport(
      [
        { fileId: 'tests/pragma.test.ts', path: 'tests/pragma.test.ts', startedAt: 10_500, durationMs: 700 },
        { fileId: 'tests/smoke.test.ts', path: 'tests/smoke.test.ts', startedAt: 10_000, durationMs: 300 },
        { fileId: 'tests/other.test.ts', path: 'tests/other.test.ts', startedAt: 10_000, durationMs: 9_000 },
      ],
      10_000,
      root,
      { deadlines: { 'tests/smoke*': '500ms' }, priorities: {} },
    )
    expect(report).toEqual({ checked: 2, missed: [{ fileId: 'tests/pragma.test.ts', deadlineMs: 1_000, finishedMs: 1_200 }] })
    expect(deadlineReport([], 0, root, { deadlines: {}, priorities: {} })).toBeUndefined()
  })

  test('the recorder stores the report in the run record and says which file missed', async () => {
    const root = scratch.dir()
    writeFileSync(join(root, 'package.json'), '{}')
    const lines: string[] = []
    const recorder = await startRecording(root, { deadlines: { 'tests/late.test.ts': '100ms' } }, { runner: 'vitest', runnerVersion: '4', shard: null, workers: 1, startedAt: 5_000 }, (line) => lines.push(line))
    recorder!.addFile({ fileId: 'tests/late.test.ts', project: '', path: 'tests/late.test.ts', status: 'passed', durationMs: 250, startedAt: 5_050, fileError: null, tests: [testRecord('x', 'passed')] })
    const run = await recorder!.finish('passed', 6_000)
    expect(run!.deadlines).toEqual({ checked: 1, missed: [{ fileId: 'tests/late.test.ts', deadlineMs: 100, finishedMs: 300 }] })
    expect(lines).toContain('flakeline: tests/late.test.ts missed its deadline: finished at 300 ms, deadline 100 ms')
    const store = HistoryStore.open(join(root, '.flakeline'), { historyLimit: 200, readOnly: true })
    expect(store.latestRun()!.deadlines).toEqual(run!.deadlines)
    await store.close()
  })
})

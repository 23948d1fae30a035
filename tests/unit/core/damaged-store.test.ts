import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { open } from 'lmdb'
import { describe, test, expect } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'
import { STORE_FILE } from '../../../src/store/history-store.js'
import { checkPages } from '../../../src/store/page-check.js'
import { ensureSound } from '../../../src/store/store-soundness.js'
import { isTrusted } from '../../../src/store/trust-stamp.js'
import { REPO_ROOT, fileResult, recordRun, testRecord, useScratch } from './_fixtures.js'
import { cli, cliProject, seedHistory } from './_cli.js'

const scratch = useScratch()

/** The real `flakeline` bin in a child process: a damaged store may abort whatever process opens it. */
function bin(args: string[], cwd: string) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'flakeline.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH } })
}

/** A store of 40 runs of 12 files with 5 tests each: enough pages that random damage lands in B-tree pages and values alike. */
async function largeStore(root: string): Promise<string> {
  const dir = join(root, '.flakeline')
  const store = scratch.open(dir, { historyLimit: 200 })
  for (let run = 0; run < 40; run++) {
    const files = Array.from({ length: 12 }, (_, f) =>
      fileResult(
        `tests/area-${f}/file-${f}.test.ts`,
        (run + f) % 9 === 0 ? 'failed' : 'passed',
        100 + ((run * 7 + f * 13) % 50),
        Array.from({ length: 5 }, (_, t) => testRecord(`area ${f} > case ${t}`, (run + f + t) % 9 === 0 ? 'failed' : 'passed')),
        1_000 + run * 10_000 + f,
      ),
    )
    await recordRun(store, files, { id: `run-${run + 1}`, startedAt: 1_000 + run * 10_000 })
  }
  await store.close()
  return dir
}

describe('a record that decodes but is not what flakeline wrote', () => {
  test('doctor names it and exits 1; the runner refuses the store; --repair keeps every other record', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    await seedHistory(scratch.open, dir)
    const env = open({ path: join(dir, STORE_FILE), maxDbs: 12 })
    await env.openDB<unknown, number>({ name: 'runs' }).put(2, { hello: 'world' })
    await env.close()

    const doctor = await cli(['doctor'], root)
    expect(doctor.code).toBe(1)
    expect(doctor.stdout).toContain(`  FAIL  records  ${ErrorCodes.STORE_CORRUPT}: the store's pages are damaged: runs: 1 damaged record (2: not the run its key names)`)
    await expect(ensureSound(dir)).rejects.toMatchObject({ code: ErrorCodes.STORE_CORRUPT })

    const repair = await cli(['doctor', '--repair'], root)
    expect(repair.code, repair.stdout).toBe(0)
    expect(repair.stdout).toContain('  kept        2 runs, 5 file results')
    expect(repair.stdout).toContain('  lost        1 damaged record (runs 1)')
    expect(repair.stdout.trimEnd().endsWith('healthy')).toBe(true)
    const aside = readdirSync(root).filter((name) => name.startsWith('.flakeline.damaged-'))
    expect(aside).toHaveLength(1)
    expect(existsSync(join(root, aside[0]!, STORE_FILE))).toBe(true)
    const stats = JSON.parse((await cli(['stats', '--json'], root)).stdout) as { runs: Array<{ id: string }> }
    expect(stats.runs.map((run) => run.id)).toEqual(['run-1', 'run-3'])
    // The repaired store was written by flakeline and closed cleanly: trusted without a check.
    expect(isTrusted(join(dir, STORE_FILE))).toBe(true)
  })
})

describe('random bytes in the data pages, through the real bin', () => {
  test('12 seeded trials: doctor never crashes, --repair always leaves a healthy store with at most what was there', async () => {
    const source = cliProject(scratch.dir())
    const good = readFileSync(join(await largeStore(source), STORE_FILE))
    let seed = 20261202
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    let unhealthy = 0
    for (let trial = 0; trial < 12; trial++) {
      const root = cliProject(scratch.dir())
      mkdirSync(join(root, '.flakeline'))
      const damaged = Buffer.from(good)
      // Past both meta pages (the header check handles those), anywhere in the data pages.
      const at = 8192 + Math.floor(random() * (damaged.length - 8192 - 512))
      for (let i = 0; i < 512; i++) damaged[at + i] = Math.floor(random() * 256)
      writeFileSync(join(root, '.flakeline', STORE_FILE), damaged)

      const doctor = bin(['doctor', '--json'], root)
      expect([doctor.signal, doctor.status], `trial ${trial} (bytes at ${at}): ${doctor.stderr}`).toEqual([null, expect.any(Number)])
      expect([0, 1]).toContain(doctor.status)
      const report = JSON.parse(doctor.stdout) as { healthy: boolean }
      if (!report.healthy) unhealthy++
      // LMDB's own words stay in the walk's child processes.
      expect(`${doctor.stdout}${doctor.stderr}`).not.toMatch(/mdb\.c|Assertion '/)

      const repair = bin(['doctor', '--repair', '--json'], root)
      expect([repair.signal, repair.status], `trial ${trial} repair: ${repair.stderr}`).toEqual([null, 0])
      const repaired = JSON.parse(repair.stdout) as { healthy: boolean; runs: number; repair: { kept: { runs: number } } }
      expect(repaired.healthy).toBe(true)
      expect(repaired.runs).toBeLessThanOrEqual(40)
      expect(repaired.repair.kept.runs).toBe(repaired.runs)
      expect(bin(['doctor'], root).status).toBe(0)
    }
    // Bytes that land in the unused middle of a page or in free pages change nothing that is read
    // (about half the trials here); the rest must be noticed.
    expect(unhealthy).toBeGreaterThanOrEqual(3)
  }, 300_000)
})

describe("LMDB's page structure", () => {
  test('a store as runs leave it and its compacted copy check clean; a damaged header on any page that has one is found, and the runner\'s check refuses the store', async () => {
    const source = cliProject(scratch.dir())
    const dir = await largeStore(source)
    const used = checkPages(join(dir, STORE_FILE))
    expect(used.problems).toEqual([])
    // LMDB's own compacted copy: live pages only, so every page past the metas is read with the store.
    const compactedDir = join(scratch.dir(), '.flakeline')
    mkdirSync(compactedDir)
    const env = open({ path: join(dir, STORE_FILE), readOnly: true, maxDbs: 12 })
    const { pageSize } = env.getStats() as { pageSize: number }
    await env.backup(join(compactedDir, STORE_FILE), true)
    await env.close()
    const compacted = readFileSync(join(compactedDir, STORE_FILE))
    const clean = checkPages(join(compactedDir, STORE_FILE))
    expect(clean.problems).toEqual([])
    expect(clean.pages).toBe(compacted.length / pageSize - 2)

    const damagedDir = join(scratch.dir(), '.flakeline')
    mkdirSync(damagedDir)
    const file = join(damagedDir, STORE_FILE)
    let headers = 0
    for (let pgno = 2; pgno < compacted.length / pageSize; pgno++) {
      const at = pgno * pageSize
      // Pages that carry a header start with their own number; the rest continue a large value.
      if (compacted.readUInt32LE(at) !== pgno || compacted.readUInt32LE(at + 4) !== 0) continue
      headers++
      const damaged = Buffer.from(compacted)
      // Free-space bounds crossed (a tree page) or an impossible page count (an overflow page): what
      // made LMDB abort a recorder's write (`mp_upper >= mp_lower`) after a record walk had read the store whole.
      damaged.writeUInt16LE(0xfff0, at + 20)
      damaged.writeUInt16LE(0x0010, at + 22)
      writeFileSync(file, damaged)
      expect(checkPages(file).problems, `page ${pgno}`).not.toEqual([])
      if (headers <= 3) await expect(ensureSound(damagedDir), `page ${pgno}`).rejects.toMatchObject({ code: ErrorCodes.STORE_CORRUPT, message: expect.stringContaining('(in pages') })
    }
    expect(headers).toBeGreaterThan(10)
  }, 120_000)
})

describe('which stores are checked before a runner opens them', () => {
  test('a store flakeline closed is trusted; one changed behind its back is checked, and trusted again once it passes', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    await seedHistory(scratch.open, dir)
    const file = join(dir, STORE_FILE)
    expect(isTrusted(file)).toBe(true)
    // Restored from a cache: the same bytes with another modification time.
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1))
    expect(isTrusted(file)).toBe(false)
    await ensureSound(dir)
    expect(isTrusted(file)).toBe(true)
  })

  test('a store that never opens says why with its own code, not as damage', async () => {
    const root = cliProject(scratch.dir())
    const dir = join(root, '.flakeline')
    mkdirSync(dir)
    writeFileSync(join(dir, STORE_FILE), Buffer.alloc(16_384, 'not lmdb '))
    await expect(ensureSound(dir)).rejects.toMatchObject({ code: ErrorCodes.STORE_CORRUPT, message: expect.stringContaining('not') })
  })
})

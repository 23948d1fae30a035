import { mkdirSync, renameSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Key } from 'lmdb'
import type { FileRecord, HistoryEntry } from '../records.js'
import { HistoryStore, STORE_DATABASES, STORE_FILE, ignoreInGit, type StoreDatabase } from './history-store.js'
import { HistoryWindow } from './history-window.js'
import { testKey } from './test-key.js'
import { walkStore, type StoreWalk } from './store-walk.js'

/** What `doctor --repair` kept, rebuilt and lost. */
export interface SalvageReport {
  /** Where the damaged store was set aside (its data and lock files). */
  asideDir: string
  /** Records copied into the new store, by database. */
  kept: Record<StoreDatabase, number>
  /** File and test windows rebuilt from the kept file results (damaged or missing in the old store). */
  rebuilt: { files: number; tests: number }
  /** Records found damaged (or stepped over after a crash), by database. */
  lost: Record<StoreDatabase, number>
  /** Databases not read to their end: what follows the damage in them is lost uncounted. */
  unfinished: StoreDatabase[]
  walk: StoreWalk
}

/** Records written per transaction while the new store is filled. */
const RESTORE_CHUNK = 5_000

/** Meta entries the new store makes itself (or are rebuilt) rather than copied. */
const REBUILT_META = new Set(['schema', 'nextSeq', 'planIndex'])

function zeroes(): Record<StoreDatabase, number> {
  return Object.fromEntries(STORE_DATABASES.map((name) => [name, 0])) as Record<StoreDatabase, number>
}

/** `<dir>.damaged-20261202T141500Z`, unused. */
function asideName(dir: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  let name = `${dir}.damaged-${stamp}`
  for (let n = 2; existsSync(name); n++) name = `${dir}.damaged-${stamp}-${n}`
  return name
}

/**
 * `doctor --repair`: sets the store in `dir` aside (its data and lock files move to
 * `<dir>.damaged-<timestamp>/`, so nothing else in `dir` is touched), reads every record that still
 * passes its checks in child processes (`walkStore`: LMDB may abort on damaged pages), and writes
 * them into a new store in `dir` from this process. File and test windows that are damaged or
 * missing are rebuilt from the kept file results; the plan index is rebuilt; the next run number
 * follows the highest kept. Never leaves `dir` without a store it can open.
 */
export async function salvageStore(dir: string, options: { historyLimit: number; now?: Date }): Promise<SalvageReport> {
  const asideDir = asideName(dir, options.now ?? new Date())
  mkdirSync(asideDir, { recursive: true })
  // Beside the store, often in the project root: kept out of git like the store itself.
  ignoreInGit(asideDir)
  for (const name of [STORE_FILE, `${STORE_FILE}-lock`]) {
    if (existsSync(join(dir, name))) renameSync(join(dir, name), join(asideDir, name))
  }
  const records = new Map<StoreDatabase, Array<{ key: Key; value: unknown }>>(STORE_DATABASES.map((name) => [name, []]))
  const walk = await walkStore(asideDir, { mode: 'dump', onRecord: (db, key, value) => records.get(db)!.push({ key, value }) })

  const kept = zeroes()
  const lost = zeroes()
  for (const db of walk.databases) lost[db.name] = db.damaged
  const runs = records.get('runs')!
  const fileRecords = records.get('fileRecords')!.map((entry) => entry.value as FileRecord)
  const files = records.get('files')!
  const tests = records.get('tests')!
  const meta = records.get('meta')!.filter((entry) => !REBUILT_META.has(entry.key as string))

  // Windows the old store lost or damaged, from the file results that survived (oldest run first).
  const fileEntries = new Map<string, { project: string; path: string; entries: HistoryEntry[] }>()
  const testEntries = new Map<string, { key: [string, string]; entries: HistoryEntry[] }>()
  for (const record of [...fileRecords].sort((a, b) => a.runSeq - b.runSeq)) {
    let file = fileEntries.get(record.fileId)
    if (!file) fileEntries.set(record.fileId, (file = { project: record.project, path: record.path, entries: [] }))
    file.entries.push({ seq: record.runSeq, status: record.status, durationMs: record.durationMs, startedAt: record.startedAt, attempts: 1, firstOnWorker: record.firstOnWorker === true })
    for (const test of record.tests) {
      const key = testKey(record.fileId, test.name)
      const id = `${key[0]}\u0000${key[1]}`
      let entry = testEntries.get(id)
      if (!entry) testEntries.set(id, (entry = { key, entries: [] }))
      entry.entries.push({ seq: record.runSeq, status: test.status, durationMs: test.durationMs ?? 0, startedAt: test.startedAt ?? record.startedAt, attempts: test.attempts })
    }
  }
  const haveFiles = new Set(files.map((entry) => entry.key as string))
  const rebuiltFiles = [...fileEntries]
    .filter(([fileId]) => !haveFiles.has(fileId))
    .map(([fileId, file]) => ({ key: fileId, value: { project: file.project, path: file.path, window: HistoryWindow.appendMany(undefined, file.entries, options.historyLimit).bytes } }))
  const haveTests = new Set(tests.map((entry) => `${(entry.key as string[])[0]}\u0000${(entry.key as string[])[1]}`))
  const rebuiltTests = [...testEntries]
    .filter(([id]) => !haveTests.has(id))
    .map(([, test]) => {
      const { bytes } = HistoryWindow.appendMany(undefined, test.entries, options.historyLimit)
      return { key: test.key, value: { window: bytes, lastSeq: test.entries[test.entries.length - 1]!.seq } }
    })

  let nextSeq = 1
  for (const run of runs) nextSeq = Math.max(nextSeq, (run.key as number) + 1)
  for (const record of fileRecords) nextSeq = Math.max(nextSeq, record.runSeq + 1)

  const store = HistoryStore.open(dir, { historyLimit: options.historyLimit })
  try {
    const restore = async (db: StoreDatabase, entries: ReadonlyArray<{ key: Key; value: unknown }>): Promise<void> => {
      for (let at = 0; at < entries.length; at += RESTORE_CHUNK) await store.restoreEntries(db, entries.slice(at, at + RESTORE_CHUNK))
      kept[db] += entries.length
    }
    await restore('runs', runs)
    await restore('fileRecords', records.get('fileRecords')!)
    await restore('files', [...files, ...rebuiltFiles])
    await restore('tests', [...tests, ...rebuiltTests])
    await restore('verdicts', records.get('verdicts')!)
    await restore('runOrder', records.get('runOrder')!)
    await restore('meta', [...meta, { key: 'nextSeq', value: nextSeq }])
    // The plan index is derived: made again from the windows now in the store.
    await store.updatePlanIndex([...files, ...rebuiltFiles].map((entry) => entry.key as string))
  } finally {
    await store.close()
  }
  kept.files -= rebuiltFiles.length
  kept.tests -= rebuiltTests.length
  kept.meta -= 1
  return {
    asideDir,
    kept,
    rebuilt: { files: rebuiltFiles.length, tests: rebuiltTests.length },
    lost,
    unfinished: walk.databases.filter((db) => !db.complete).map((db) => db.name),
    walk,
  }
}

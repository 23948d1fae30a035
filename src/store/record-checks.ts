import type { Key } from 'lmdb'
import type { StoreDatabase } from './history-store.js'
import { ENTRY_BYTES, HistoryWindow } from './history-window.js'

/**
 * What `doctor` and `doctor --repair` accept of a record read from a store that may be damaged.
 * LMDB has no checksums: random bytes in a data page either break its B-tree (an error, or an abort
 * inside LMDB) or land in a value, which may still decode as MessagePack. So every record is
 * checked for the shape flakeline writes and for agreeing with its own key; a record that does not
 * is damaged. Returns what is wrong, or null.
 */
export function recordProblem(db: StoreDatabase, key: Key, value: unknown): string | null {
  switch (db) {
    case 'meta':
      return typeof key === 'string' ? metaProblem(key, value) : 'a key that is not a name'
    case 'runs':
      return runProblem(key, value)
    case 'fileRecords':
      return fileRecordProblem(key, value)
    case 'files':
      if (typeof key !== 'string' || key.length === 0) return 'a key that is not a file id'
      if (!isObject(value) || typeof value.project !== 'string' || typeof value.path !== 'string') return 'not a file window'
      return windowProblem(value.window)
    case 'tests':
      if (!isPair(key)) return 'a key that is not [file id, test name]'
      if (!isObject(value) || !isCount(value.lastSeq)) return 'not a test window'
      return windowProblem(value.window)
    case 'verdicts':
      if (!isPair(key)) return 'a key that is not [file id, test name]'
      return isObject(value) && typeof value.verdict === 'string' && isFraction(value.confidence) && typeof value.name === 'string' ? null : 'not a verdict'
    case 'runOrder':
      return isCount(key) && Array.isArray(value) && value.every((fileId) => typeof fileId === 'string') ? null : 'not a run order'
  }
}

const RUN_STATUSES: readonly unknown[] = ['running', 'passed', 'failed', 'interrupted', 'incomplete']
const FILE_STATUSES: readonly unknown[] = ['passed', 'failed', 'skipped']
const TEST_STATUSES: readonly unknown[] = ['passed', 'failed', 'skipped', 'todo']
const RUN_COUNTS = ['files', 'tests', 'passed', 'failed', 'skipped', 'todo', 'flaky'] as const

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 8.64e15
}

function isFraction(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 1
}

function isPair(key: Key): key is [string, string] {
  return Array.isArray(key) && key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string'
}

function metaProblem(key: string, value: unknown): string | null {
  if (key === 'schema' || key === 'nextSeq' || key === 'exportedThrough') return isCount(value) ? null : `meta ${key} is not a count`
  return null
}

function runProblem(key: Key, value: unknown): string | null {
  if (!isCount(key) || key === 0) return 'a key that is not a run number'
  if (!isObject(value) || value.seq !== key) return 'not the run its key names'
  if (typeof value.id !== 'string' || typeof value.runner !== 'string' || !RUN_STATUSES.includes(value.status)) return 'a run without id, runner or status'
  if (!isTime(value.startedAt) || !(value.endedAt === null || isTime(value.endedAt)) || !isTime(value.durationMs)) return 'a run with impossible times'
  if (!RUN_COUNTS.every((count) => isCount(value[count])) || !isObject(value.code)) return 'a run with impossible totals'
  return null
}

function fileRecordProblem(key: Key, value: unknown): string | null {
  if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || !isCount(key[1])) return 'a key that is not [file id, run number]'
  if (!isObject(value) || value.fileId !== key[0] || value.runSeq !== key[1]) return 'not the file result its key names'
  if (typeof value.project !== 'string' || typeof value.path !== 'string' || !FILE_STATUSES.includes(value.status)) return 'a file result without path or status'
  if (!isTime(value.durationMs) || !isTime(value.startedAt) || !Array.isArray(value.tests)) return 'a file result with impossible times or no tests'
  for (const test of value.tests as unknown[]) {
    if (!isObject(test) || typeof test.name !== 'string' || !TEST_STATUSES.includes(test.status) || !isCount(test.attempts)) return 'a file result with a malformed test'
    if (!(test.durationMs === null || isTime(test.durationMs))) return 'a file result with a test of impossible duration'
  }
  return null
}

/** A packed window: whole entries, seqs never falling, known statuses, finite times. */
function windowProblem(window: unknown): string | null {
  if (!(window instanceof Uint8Array) || window.byteLength % ENTRY_BYTES !== 0) return 'a window that is not whole entries'
  const packed = new HistoryWindow(window)
  let previous = 0
  for (let i = 0; i < packed.length; i++) {
    const seq = packed.seq(i)
    // Equal is allowed: a file recorded twice in one run (the store API permits it) has two entries of one run.
    if (seq < previous || seq === 0) return 'a window whose runs are out of order'
    previous = seq
    if (packed.statusCode(i) > 3) return 'a window entry with an unknown status'
    if (!isTime(packed.durationMs(i)) || !isTime(packed.startedAt(i))) return 'a window entry with impossible times'
  }
  return null
}

import { createHash } from 'node:crypto'
import { pack } from 'msgpackr'
import { BUNDLE_MAGIC } from '../../../src/bundle/bundle-format.js'
import type { Bundle, BundleRun } from '../../../src/bundle/bundle-validate.js'
import type { FileRecord, RunRecord } from '../../../src/records.js'
import type { HistoryStore, NewRun } from '../../../src/store/history-store.js'
import { SCHEMA_VERSION } from '../../../src/store/history-store.js'
import { fileResult, newRun, recordRun, testRecord } from '../core/_fixtures.js'

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
export const HOUR = 3_600_000

/** A bundle file around any body bytes, with a correct checksum and the given versions. */
export function withHeader(body: Uint8Array, versions: { format?: number; schema?: number } = {}): Buffer {
  const header = Buffer.alloc(44)
  BUNDLE_MAGIC.copy(header, 0)
  header.writeUInt16LE(versions.format ?? 1, 8)
  header.writeUInt16LE(versions.schema ?? SCHEMA_VERSION, 10)
  createHash('sha256').update(body).digest().copy(header, 12)
  return Buffer.concat([header, body])
}

/** A bundle file of any value, packed as plain MessagePack (nothing is checked on the way in). */
export function packedBundle(body: unknown): Buffer {
  return withHeader(pack(body))
}

/** A finished run in bundle form: two files, one failing test, one passed on retry. */
export function sampleRun(overrides: Partial<BundleRun['run']> = {}): BundleRun {
  const retried = { attempts: 2, attemptOutcomes: ['failed' as const, 'passed' as const], retryErrors: ['boom'] }
  const files: BundleRun['files'] = [
    fileResult('tests/a.test.ts', 'passed', 120, [testRecord('a > works', 'passed'), testRecord('a > retried', 'passed', retried)], T0),
    fileResult('tests/b.test.ts', 'failed', 40, [testRecord('b > breaks', 'failed', { location: { line: 3, column: 5 } }), testRecord('b > later', 'todo')], T0 + 1),
  ]
  const run = { ...newRun({ id: 'run-1', status: 'failed', startedAt: T0, endedAt: T0 + 1_500, files: 2, tests: 4, passed: 2, failed: 1, todo: 1, flaky: 1, durationMs: 1_500 }), uid: 'uid-1', ...overrides }
  return { run, files }
}

export function sampleBundle(runs: BundleRun[] = [sampleRun()]): Bundle {
  return { createdAt: T0 + HOUR, flakelineVersion: '0.1.0', runs }
}

/** A run recorded through the store as the recorder does: the run, its files, its end and the plan index. */
export async function record(store: HistoryStore, files: ReadonlyArray<Omit<FileRecord, 'runSeq'>>, overrides: Partial<NewRun> = {}): Promise<RunRecord> {
  const run = await recordRun(store, files, overrides)
  await store.updatePlanIndex(files.map((file) => file.fileId))
  return run
}

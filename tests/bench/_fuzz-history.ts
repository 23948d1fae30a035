// What every history an importer accepts must be: records the store keeps, that `doctor` finds
// sound, that stay inside the root, and that `export` can write and `merge` read back.
import { bundleRunOf } from '../../dist/src/bundle/export-runs.js'
import { decodeBundle, encodeBundle } from '../../dist/src/bundle/bundle-format.js'
import { ErrorCodes } from '../../dist/src/errors.js'
import { toImportedRun, type HistoryRun } from '../../dist/src/history-import/history-run.js'
import { relativePathProblem } from '../../dist/src/identity.js'
import type { FileRecord, RunRecord } from '../../dist/src/records.js'
import { recordProblem } from '../../dist/src/store/record-checks.js'
import { fileIdFits } from '../../dist/src/store/test-key.js'
import { check, coded } from './_fuzz-harness.js'
import { Random, word } from './_fuzz-random.js'

/** The package root imports are read against; nothing is read from it. */
export const ROOT = '/work/fuzz-root'
export const IMPORT_CODES = [ErrorCodes.IMPORT, ErrorCodes.IMPORT_LIMIT]
const NOW = Date.UTC(2026, 4, 13)

/** A test file path as a project has them, sometimes absolute inside the root. */
export function testPath(r: Random): string {
  const path = `${r.pick(['tests', 'src', 'packages/app/test', 'e2e'])}/${word(r)}${r.pick(['.test.ts', '.spec.js', '.test.mjs', '_test.py', '.test.tsx'])}`
  return r.chance(0.1) ? `${ROOT}/${path}` : r.chance(0.05) ? `./${path}` : path
}

/** `path` as the store keeps it. */
export function storedPath(path: string): string {
  return path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length + 1) : path.replace(/^(?:\.\/)+/, '')
}

/** A test name: words, sometimes with characters that need escaping or are far from ASCII. */
export function testName(r: Random): string {
  const parts = Array.from({ length: r.range(1, 3) }, () => word(r, 1, 12))
  if (r.chance(0.2)) parts.push(r.pick(['<b>&amp;"\'', 'é 😀', 'a > b', 'x]]>y', '100%', '\\n', '::error::']))
  return parts.join(' ')
}

/** Checks the properties every accepted run must have; `source` says which importer made it. */
export function checkImported(run: HistoryRun, source: string): void {
  for (const file of run.files) {
    const problem = relativePathProblem(file.path, 1_000)
    check(problem === null, () => `${source} kept a path the store must not hold: ${problem}`)
  }
  const imported = coded([], `toImportedRun of a run ${source} accepted`, () => toImportedRun(run, NOW))
  if (!('value' in imported)) return
  const { run: record, files } = imported.value
  const stored: RunRecord = { ...record, seq: 1 }
  check(recordProblem('runs', 1, stored) === null, () => `${source} made a run doctor calls damaged: ${recordProblem('runs', 1, stored)} (startedAt ${record.startedAt}, endedAt ${record.endedAt})`)
  const fileRecords: FileRecord[] = files.map((file) => ({ ...file, runSeq: 1 }))
  for (const file of fileRecords) {
    check(fileIdFits(file.fileId), () => `${source} accepted a file id of ${Buffer.byteLength(file.fileId)} bytes, which the store refuses mid-import`)
    const problem = recordProblem('fileRecords', [file.fileId, 1], file)
    check(problem === null, () => `${source} made a file record doctor calls damaged: ${problem}`)
    const names = new Set(file.tests.map((test) => test.name))
    check(names.size === file.tests.length, () => `${source}: two tests of one file share a name in the store`)
  }
  // What `flakeline import` stored, `flakeline export` writes and `flakeline merge` reads.
  const bundle = { createdAt: NOW, flakelineVersion: '0.1.0', runs: [bundleRunOf(stored, fileRecords)] }
  const read = coded([ErrorCodes.BUNDLE], 'decodeBundle', () => decodeBundle(encodeBundle(bundle), 'export'))
  check('value' in read, () => `${source} accepted a run that export then refuses: ${'code' in read ? read.message : ''}`)
}

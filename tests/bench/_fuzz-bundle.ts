// Fuzz target: the history bundle reader (`flakeline merge`). A bundle is read whole, checked by
// size, magic, versions and checksum, walked as plain MessagePack and validated field by field; a
// valid bundle decodes to what was encoded, and what is accepted is what the store and doctor keep.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pack } from 'msgpackr'
import { BUNDLE_MAGIC, decodeBundle, encodeBundle, readBundle } from '../../dist/src/bundle/bundle-format.js'
import type { Bundle, BundleRun } from '../../dist/src/bundle/bundle-validate.js'
import { ErrorCodes } from '../../dist/src/errors.js'
import { fileIdOf, relativePathProblem } from '../../dist/src/identity.js'
import type { TestRecord } from '../../dist/src/records.js'
import { SCHEMA_VERSION } from '../../dist/src/store/history-store.js'
import { recordProblem } from '../../dist/src/store/record-checks.js'
import { check, coded, codedAsync, type FuzzTarget } from './_fuzz-harness.js'
import { Random, deepValue, hostileNumber, hostileString, mutateBytes, plainValue, sameValue, word } from './_fuzz-random.js'

const CODES = [ErrorCodes.BUNDLE]
const T0 = Date.UTC(2026, 4, 13)

/** A bundle file around any body bytes, with a correct checksum. */
function sealed(body: Uint8Array, format = 1, schema = SCHEMA_VERSION): Buffer {
  const header = Buffer.alloc(44)
  BUNDLE_MAGIC.copy(header, 0)
  header.writeUInt16LE(format, 8)
  header.writeUInt16LE(schema, 10)
  createHash('sha256').update(body).digest().copy(header, 12)
  return Buffer.concat([header, body])
}

function test(r: Random): TestRecord {
  const status = r.pick(['passed', 'failed', 'skipped', 'todo'] as const)
  const attempts = status === 'passed' || status === 'failed' ? r.range(1, 3) : 0
  const record: TestRecord = {
    name: r.chance(0.1) ? `${word(r)}\n\t${word(r)}` : `${word(r)} > ${word(r)}`,
    status,
    durationMs: r.chance(0.8) ? r.int(10_000) / 4 : null,
    startedAt: r.chance(0.5) ? T0 + r.int(1e6) : null,
    attempts,
    attemptOutcomes: Array.from({ length: attempts }, (_, i) => (i === attempts - 1 && status === 'passed' ? 'passed' : 'failed')),
    retryErrors: attempts > 1 ? ['boom'] : [],
    failureMessage: status === 'failed' ? `expected ${r.int(9)}\n  at x` : null,
    location: r.chance(0.5) ? { line: r.int(500), column: r.int(80) } : null,
  }
  if (r.chance(0.1)) record.timeoutMs = 5_000
  return record
}

function run(r: Random, n: number): BundleRun {
  const startedAt = T0 + n * 3_600_000
  const files: BundleRun['files'] = []
  const paths = new Set<string>()
  for (let f = r.range(0, 4); f > 0; f--) paths.add(`${r.pick(['tests', 'src/a'])}/${word(r)}.test.ts`)
  const project = r.chance(0.2) ? 'web' : ''
  for (const path of paths) {
    const file: BundleRun['files'][number] = {
      fileId: fileIdOf(project, path), project, path, status: r.pick(['passed', 'failed', 'skipped']), durationMs: r.int(60_000), startedAt,
      fileError: r.chance(0.1) ? 'Error: cannot find module' : null, tests: Array.from({ length: r.int(4) }, () => test(r)),
    }
    if (r.chance(0.3)) file.overheadMs = r.int(500)
    if (r.chance(0.3)) file.firstOnWorker = r.chance(0.5)
    files.push(file)
  }
  const shardCount = r.range(1, 8)
  const record: BundleRun['run'] = {
    id: `run-${n}-${word(r)}`, runner: r.pick(['jest', 'vitest', 'import']), runnerVersion: r.pick(['30.0.0', '4.1.0', '']), flakelineVersion: '0.1.0', startedAt,
    endedAt: r.chance(0.9) ? startedAt + 60_000 : null, code: { commit: r.chance(0.5) ? word(r, 40, 40) : null, dirty: r.chance(0.5), branch: r.chance(0.5) ? 'main' : null, source: r.pick(['git', 'GITHUB_SHA', 'none']) },
    shard: r.chance(0.3) ? { index: r.range(1, shardCount), count: shardCount } : null, workers: r.range(1, 8), status: r.pick(['passed', 'failed', 'interrupted']),
    files: files.length, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0, durationMs: 60_000, uid: `uid-${n}-${word(r)}`,
  }
  if (r.chance(0.2)) record.deadlines = { checked: 3, missed: [{ fileId: 'tests/a.test.ts', deadlineMs: 1_000, finishedMs: 2_000 }] }
  if (r.chance(0.2)) record.job = `job-${word(r)}`
  if (r.chance(0.2)) record.split = { mode: r.pick(['plan', 'job', 'runner']), fingerprint: word(r, 64, 64), filesListed: 10, unplanned: 1 }
  if (r.chance(0.2)) record.startup = { perWorkerMs: 120, perFileMs: 3.5 }
  if (r.chance(0.2)) record.changedFiles = { 'src/a.ts': word(r, 40, 40) }
  if (r.chance(0.2)) record.changedSince = ['src/a.ts', 'tests/b.test.ts']
  return { run: record, files }
}

function validBundle(r: Random): Bundle {
  return { createdAt: T0 + 86_400_000, flakelineVersion: '0.1.0', runs: Array.from({ length: r.range(0, 3) }, (_, n) => run(r, n)) }
}

/** Replaces, deletes or adds one field somewhere in `value` (an object tree) with something hostile. */
function corrupt(r: Random, value: unknown): void {
  const containers: Array<Record<string, unknown> | unknown[]> = []
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node) || node instanceof Date) return
    containers.push(node as Record<string, unknown>)
    for (const child of Object.values(node)) walk(child)
  }
  walk(value)
  const target = r.pick(containers)
  const keys = Object.keys(target)
  const key = keys.length && r.chance(0.8) ? r.pick(keys) : r.pick(['__proto__', 'constructor', 'parts', 'extra', 'uid'])
  const replacement = r.pick([
    () => hostileString(r), () => hostileNumber(r), () => plainValue(r), () => null, () => undefined, () => [], () => ({}), () => 2n ** 64n - 1n, () => -(2n ** 63n),
    () => new Uint8Array(3), () => new Date(0), () => deepValue(r.pick([15, 16, 17, 40])), () => Array.from({ length: r.pick([1_001, 10_001]) }, () => 'passed'),
  ])()
  if (r.chance(0.1) && !Array.isArray(target)) delete (target as Record<string, unknown>)[key]
  else if (!(Array.isArray(target) && key === 'length')) Object.defineProperty(target, key, { value: replacement, enumerable: true, configurable: true, writable: true })
}

function packed(value: unknown): Uint8Array | null {
  try {
    return pack(value)
  } catch {
    return null
  }
}

function hostileBytes(r: Random): Uint8Array {
  const roll = r.int(10)
  if (roll === 0) return r.bytes(r.size(600))
  if (roll === 1) return Buffer.concat([BUNDLE_MAGIC, r.bytes(r.size(300))])
  const valid = validBundle(r)
  if (roll < 6) return sealed(mutateBytes(r, pack(valid), pack(validBundle(r))))
  if (roll < 9) {
    for (let n = r.range(1, 3); n > 0; n--) corrupt(r, valid)
    return sealed(packed(valid) ?? new Uint8Array(0))
  }
  const bytes = Buffer.from(encodeBundle(valid))
  switch (r.int(4)) {
    case 0:
      return bytes.subarray(0, r.int(bytes.length))
    case 1:
      bytes.writeUInt16LE(r.pick([0, 2, 65_535]), 8)
      return bytes
    case 2:
      bytes.writeUInt16LE(r.pick([0, SCHEMA_VERSION + 1, 65_535]), 10)
      return bytes
    default:
      return mutateBytes(r, bytes)
  }
}

/** What `merge` hands to the store must be what the store and doctor keep. */
function checkAccepted(bundle: Bundle): void {
  bundle.runs.forEach((entry, i) => {
    const problem = recordProblem('runs', i + 1, { ...entry.run, seq: i + 1 })
    check(problem === null, () => `an accepted bundle holds a run doctor calls damaged: ${problem}`)
    for (const file of entry.files) {
      check(relativePathProblem(file.path, 1_000) === null, 'an accepted bundle holds a path outside the root')
      const fileProblem = recordProblem('fileRecords', [file.fileId, i + 1], { ...file, runSeq: i + 1 })
      check(fileProblem === null, () => `an accepted bundle holds a file record doctor calls damaged: ${fileProblem}`)
    }
  })
}

let scratch: string | null = null

export function bundleTarget(dir: () => string): FuzzTarget {
  return {
    name: 'bundle',
    what: 'decodeBundle (header, checksum, plain MessagePack walk, field validation), readBundle from files; accepted bundles checked against the store and doctor',
    codes: CODES,
    async run(r) {
      scratch ??= dir()
      if (r.chance(0.2)) {
        const bundle = validBundle(r)
        const bytes = encodeBundle(bundle)
        check(sameValue(decodeBundle(bytes, 'bundle'), bundle), 'decodeBundle(encodeBundle(bundle)) is not the bundle')
        if (r.chance(0.05)) {
          writeFileSync(join(scratch, 'history.bundle'), bytes)
          check(sameValue(await readBundle(join(scratch, 'history.bundle')), bundle), 'readBundle of a written bundle is not the bundle')
        }
        return 'ok'
      }
      const bytes = hostileBytes(r)
      const decoded = r.chance(0.02)
        ? await codedAsync(CODES, 'readBundle', async () => {
            writeFileSync(join(scratch!, 'hostile.bundle'), bytes)
            return readBundle(join(scratch!, 'hostile.bundle'), 'hostile.bundle')
          })
        : coded(CODES, 'decodeBundle', () => decodeBundle(bytes, 'hostile.bundle'))
      if ('value' in decoded) checkAccepted(decoded.value)
      return 'value' in decoded ? 'ok' : decoded.code
    },
  }
}

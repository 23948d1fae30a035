import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { pack } from 'msgpackr'
import { describe, expect, test } from 'vitest'
import { BUNDLE_HEADER_BYTES, decodeBundle, encodeBundle, readBundle } from '../../../src/bundle/bundle-format.js'
import { BUNDLE_LIMITS } from '../../../src/bundle/bundle-limits.js'
import { exportRuns } from '../../../src/bundle/export-runs.js'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { SCHEMA_VERSION } from '../../../src/store/history-store.js'
import type { FileRecord, RunRecord, TestRecord } from '../../../src/records.js'
import { newRun, useScratch } from '../core/_fixtures.js'
import { T0, packedBundle, sampleBundle, sampleRun, withHeader } from './_bundle.js'

const scratch = useScratch()

/** The error `decode` throws for `bytes`; fails the test if it is not a FLAKELINE_E_BUNDLE error. */
function refusal(bytes: Uint8Array): string {
  try {
    decodeBundle(bytes, 'x.bundle')
  } catch (error) {
    expect(error).toBeInstanceOf(FlakelineError)
    expect((error as FlakelineError).code).toBe(ErrorCodes.BUNDLE)
    return (error as FlakelineError).message
  }
  throw new Error('the bundle was accepted')
}

/** A valid bundle with one field of the first run (or its first file, or that file's first test) replaced, or removed for `undefined`. */
function withField(part: 'run' | 'file' | 'test', key: string, value: unknown): Buffer {
  const bundle = sampleBundle() as unknown as { runs: Array<{ run: Record<string, unknown>; files: Array<Record<string, unknown> & { tests: Array<Record<string, unknown>> }> }> }
  const target = part === 'run' ? bundle.runs[0]!.run : part === 'file' ? bundle.runs[0]!.files[0]! : bundle.runs[0]!.files[0]!.tests[0]!
  if (value === undefined) delete target[key]
  else target[key] = value
  return packedBundle(bundle)
}

describe('bundle format', () => {
  test('round trip: what is encoded decodes to the same records', () => {
    const bundle = sampleBundle([sampleRun(), sampleRun({ uid: 'uid-2', id: 'run-2', job: 'ci-9', shard: { index: 2, count: 3 }, split: { mode: 'plan', fingerprint: 'f'.repeat(64), filesListed: 9, unplanned: 1 }, deadlines: { checked: 1, missed: [{ fileId: 'tests/a.test.ts', deadlineMs: 10, finishedMs: 20 }] } })])
    const bytes = encodeBundle(bundle)
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('FLKBNDL\0')
    expect([bytes.readUInt16LE(8), bytes.readUInt16LE(10)]).toEqual([1, SCHEMA_VERSION])
    expect(decodeBundle(bytes, 'x.bundle')).toEqual(bundle)
  })

  test('every field of a stored run, file and test travels: a field added to the records fails to compile here until it does', async () => {
    // `Required<…>` makes these literals name every field the records have, optional ones included.
    const test_: Required<TestRecord> = { name: 'a > works', status: 'passed', durationMs: 3, startedAt: T0 + 2, attempts: 2, attemptOutcomes: ['failed', 'passed'], retryErrors: ['boom'], failureMessage: null, location: { line: 4, column: 2 }, timeoutMs: 5_000 }
    const file: Required<Omit<FileRecord, 'runSeq'>> = { fileId: 'web:tests/a.test.ts', project: 'web', path: 'tests/a.test.ts', status: 'passed', durationMs: 30, startedAt: T0 + 1, fileError: 'hook failed', tests: [test_], overheadMs: 12.5, firstOnWorker: true }
    // `owner` lives only while a run runs; bundles hold finished runs.
    const run: Required<Omit<RunRecord, 'seq' | 'parts' | 'owner'>> = {
      ...newRun({ id: 'full', status: 'passed', startedAt: T0, endedAt: T0 + 100, files: 1, tests: 1, passed: 1, flaky: 1, durationMs: 100, code: { commit: 'c'.repeat(40), dirty: true, branch: 'main', source: 'GITHUB_SHA' }, shard: { index: 1, count: 2 } }),
      deadlines: { checked: 1, missed: [{ fileId: 'web:tests/a.test.ts', deadlineMs: 10, finishedMs: 31 }] },
      uid: 'full-uid',
      job: 'github-1-1-test',
      split: { mode: 'plan', fingerprint: 'f'.repeat(64), filesListed: 2, unplanned: 0 },
      startup: { perWorkerMs: 40, perFileMs: 0 },
      changedFiles: { 'src/cart.ts': 'a'.repeat(40), 'src/gone.ts': '' },
      changedSince: ['src/cart.ts', 'tests/cart.test.ts'],
    }
    const store = scratch.open(scratch.dir(), { historyLimit: 10 })
    const begun = await store.beginRun({ ...run, status: 'running' })
    await store.recordFiles([{ ...file, runSeq: begun.seq }])
    await store.updateRun({ ...run, seq: begun.seq })
    const { bundle } = exportRuns(store, 0, T0)
    expect(decodeBundle(encodeBundle(bundle), 'x.bundle').runs).toEqual([{ run, files: [file] }])
  })

  test('fields the bundle adds beyond the known ones do not come out of it', () => {
    const bundle = sampleBundle() as unknown as { runs: Array<{ run: Record<string, unknown> }> }
    bundle.runs[0]!.run.extra = 'ignored'
    const decoded = decodeBundle(packedBundle(bundle), 'x.bundle')
    expect(decoded.runs[0]!.run).not.toHaveProperty('extra')
  })

  test.each([
    ['truncated to part of its header', (b: Buffer) => b.subarray(0, 20), /truncated: 20 bytes, shorter than a bundle's 44-byte header/],
    ['cut short', (b: Buffer) => b.subarray(0, b.length - 10), /checksum mismatch/],
    ['one flipped byte', (b: Buffer) => Buffer.concat([b.subarray(0, 60), Buffer.from([b[60]! ^ 0x01]), b.subarray(61)]), /checksum mismatch/],
    ['wrong magic', (b: Buffer) => Buffer.concat([Buffer.from('PK\u0003\u0004xxxx'), b.subarray(8)]), /not a flakeline history bundle \(wrong magic bytes\)/],
  ])('a damaged file is refused: %s', (_name, damage, message) => {
    expect(refusal(damage(encodeBundle(sampleBundle())))).toMatch(message)
  })

  test('a bundle from a newer flakeline (format or store schema) is refused as such', () => {
    const body = pack(sampleBundle())
    expect(refusal(withHeader(body, { format: 2 }))).toBe('x.bundle: written by a newer flakeline (bundle format 2; this flakeline reads format 1 and older): upgrade flakeline to merge it')
    expect(refusal(withHeader(body, { schema: SCHEMA_VERSION + 1 }))).toMatch(`holds records of store schema ${SCHEMA_VERSION + 1}, newer than this flakeline's (${SCHEMA_VERSION}): upgrade flakeline`)
    // The version is read before the checksum: a newer format may check its body another way.
    expect(refusal(Buffer.concat([withHeader(body, { format: 7 }).subarray(0, BUNDLE_HEADER_BYTES), Buffer.from('other')]))).toMatch(/bundle format 7/)
  })

  test('an oversized file is refused before it is read', async () => {
    const file = join(scratch.dir(), 'big.bundle')
    writeFileSync(file, encodeBundle(sampleBundle()))
    truncateSync(file, BUNDLE_LIMITS.bundleBytes + 1)
    await expect(readBundle(file, 'big.bundle')).rejects.toMatchObject({ code: ErrorCodes.BUNDLE, message: `big.bundle: ${BUNDLE_LIMITS.bundleBytes + 1} bytes, more than the ${BUNDLE_LIMITS.bundleBytes} a bundle may have` })
    await expect(readBundle(join(scratch.dir(), 'missing.bundle'), 'missing.bundle')).rejects.toMatchObject({ code: ErrorCodes.BUNDLE, message: expect.stringMatching(/^missing.bundle: cannot read it: ENOENT/) })
  })

  test.each([
    ['a path that leaves the root', withField('file', 'path', '../outside.test.ts'), /bundle.runs\[0\].files\[0\].path leaves the root \("..\/outside.test.ts"\)/],
    ['a path with .. inside', withField('file', 'path', 'tests/../../etc/passwd'), /files\[0\].path leaves the root/],
    ['an absolute path', withField('file', 'path', '/etc/passwd'), /files\[0\].path is absolute \("\/etc\/passwd"\)/],
    ['a Windows absolute path', withField('file', 'path', 'C:/x.test.ts'), /files\[0\].path is absolute/],
    ['a backslash', withField('file', 'path', 'tests\\a.test.ts'), /files\[0\].path contains a backslash/],
    ['a NUL in a path', withField('file', 'path', 'tests/a\u0000.test.ts'), /files\[0\].path contains a control character/],
    ['an empty segment', withField('file', 'path', 'tests//a.test.ts'), /files\[0\].path is not a normalised relative path/],
    ['a fileId that is not its project and path', withField('file', 'fileId', 'tests/other.test.ts'), /files\[0\].fileId "tests\/other.test.ts" does not match its project "" and path "tests\/a.test.ts"/],
    ['a project that does not match the fileId', withField('file', 'project', 'web'), /expected "web:tests\/a.test.ts"/],
    ['a duration as text', withField('file', 'durationMs', '120'), /files\[0\].durationMs must be a number >= 0, got "120"/],
    ['a duration over a week', withField('file', 'durationMs', 8 * 24 * 3_600_000), /files\[0\].durationMs is more than 604800000/],
    ['an unknown status', withField('test', 'status', 'maybe'), /tests\[0\].status must be one of passed, failed, skipped, todo, got "maybe"/],
    ['tests as an object', withField('file', 'tests', {}), /files\[0\].tests must be an array, got an object/],
    ['a 64-bit integer', withField('run', 'files', 2n ** 60n), /run.files must be an integer from 0 to \d+, got 1152921504606846976 \(a 64-bit integer\)/],
    ['a run still recording', withField('run', 'status', 'running'), /run.status is running: bundles hold finished runs only/],
    ['a merged run', withField('run', 'parts', []), /run.parts: the run was made by flakeline merge/],
    ['a run without uid', withField('run', 'uid', undefined), /run.uid must be a string, got undefined/],
    ['a changed file outside the root (plan would hash it)', withField('run', 'changedFiles', { 'src/a.ts': '', '../../etc/shadow': '' }), /run.changedFiles: a path leaves the root \("..\/..\/etc\/shadow"\)/],
    ['a changed file hash that is not text', withField('run', 'changedFiles', { 'src/a.ts': 5 }), /run.changedFiles\["src\/a.ts"\] must be a content hash, got 5/],
    ['a shard beyond its count', withField('run', 'shard', { index: 3, count: 2 }), /run.shard.index must be an integer from 1 to 2, got 3/],
    ['a test name too long', withField('test', 'name', 'x'.repeat(8193)), /tests\[0\].name is longer than 8192 characters/],
    ['not an object', packedBundle([1, 2]), /bundle must be an object, got an array/],
    ['too many runs', packedBundle({ ...sampleBundle(), runs: new Array(BUNDLE_LIMITS.runsPerBundle + 1).fill(null) }), /bundle.runs has 10001 entries, more than the 10000 a bundle may hold/],
    ['too many attempts outcomes', withField('test', 'attemptOutcomes', new Array(1001).fill('failed')), /attemptOutcomes has 1001 entries, more than the 1000/],
    ['the same run twice', packedBundle(sampleBundle([sampleRun(), sampleRun()])), /runs\[1\].run.uid "uid-1" appears twice in the bundle/],
    ['the same file twice in a run', packedBundle(sampleBundle([{ ...sampleRun(), files: [sampleRun().files[0]!, sampleRun().files[0]!] }])), /runs\[0\].files\[1\].fileId "tests\/a.test.ts" appears twice in one run/],
  ])('hostile content is refused, naming the field: %s', (_name, bytes, message) => {
    expect(refusal(bytes)).toMatch(message)
  })

  test('the body must be plain MessagePack: no msgpackr records or other extensions, bounded counts and depth', () => {
    // A msgpackr record definition (fixext 1, type 0x72 "r") that would define a structure.
    expect(refusal(withHeader(Buffer.from([0xd4, 0x72, 0x40, 0x91, 0xa1, 0x61, 0x01])))).toMatch(/a MessagePack extension \(type 0x72\) at byte 0: a bundle is plain MessagePack/)
    // msgpackr's shared-reference, Set and RegExp extensions, and binary data.
    expect(refusal(withHeader(Buffer.from([0xc7, 0x01, 0x70, 0x00])))).toMatch(/extension \(type 0x70\)/)
    expect(refusal(withHeader(Buffer.from([0x81, 0xa1, 0x61, 0xd4, 0x73, 0x90])))).toMatch(/extension \(type 0x73\) at byte 3/)
    expect(refusal(withHeader(Buffer.from([0xc4, 0x01, 0x00])))).toMatch(/binary data at byte 0/)
    // An array32 claiming 4 billion entries in a few bytes: refused before anything is allocated for it.
    expect(refusal(withHeader(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0])))).toMatch(/an array at byte 0 claims 4294967295 entries, more than the 1 bytes left can hold/)
    expect(refusal(withHeader(Buffer.from([0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0])))).toMatch(/a map at byte 0 claims 2147483647 entries/)
    expect(refusal(withHeader(Buffer.from([...new Array(100).fill(0x91), 0xc0])))).toMatch(/nested deeper than 16 levels/)
    expect(refusal(withHeader(Buffer.from([0x81, 0x01, 0x02])))).toMatch(/a map key at byte 1 is not a string/)
    expect(refusal(withHeader(Buffer.concat([pack(sampleBundle()), Buffer.from([0xc0])])))).toMatch(/1 bytes after the end of the body/)
    expect(refusal(withHeader(Buffer.from([0xda, 0xff])))).toMatch(/truncated: a length at byte 0 runs past the end/)
    expect(refusal(withHeader(Buffer.alloc(0)))).toMatch(/truncated: a value is missing at byte 0/)
  })

  test('fuzz: random bytes and mutated bundles are refused with FLAKELINE_E_BUNDLE or decode to a checked bundle', () => {
    const valid = encodeBundle(sampleBundle([sampleRun(), sampleRun({ uid: 'uid-2', job: 'ci-1', shard: { index: 1, count: 2 } })]))
    const body = valid.subarray(BUNDLE_HEADER_BYTES)
    const decodeOrRefuse = (bytes: Uint8Array): void => {
      try {
        const bundle = decodeBundle(bytes, 'fuzz.bundle')
        expect(Array.isArray(bundle.runs)).toBe(true)
      } catch (error) {
        if (!(error instanceof FlakelineError) || error.code !== ErrorCodes.BUNDLE) throw error
      }
    }
    const mutation = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete') }), { minLength: 1, maxLength: 8 })
    const mutate = (bytes: Buffer, changes: ReadonlyArray<{ at: number; byte: number; kind: string }>): Buffer => {
      let out = Buffer.from(bytes)
      for (const { at, byte, kind } of changes) {
        const i = at % Math.max(1, out.length)
        if (kind === 'set' && out.length) out[i] = byte
        else if (kind === 'insert') out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)])
        else out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)])
      }
      return out
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodeOrRefuse(bytes)), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => decodeOrRefuse(withHeader(bytes))), { numRuns: 500 })
    // Mutations of the whole file (caught by the checksum) and of the body under a fresh checksum (caught by the checks after it).
    fc.assert(fc.property(mutation, (changes) => decodeOrRefuse(mutate(valid, changes))), { numRuns: 500 })
    fc.assert(fc.property(mutation, (changes) => decodeOrRefuse(withHeader(mutate(body, changes)))), { numRuns: 500 })
  })
})

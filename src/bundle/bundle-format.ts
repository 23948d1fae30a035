import { createHash, timingSafeEqual } from 'node:crypto'
import { open } from 'node:fs/promises'
import { pack, unpack } from 'msgpackr'
import { FlakelineError } from '../errors.js'
import { SCHEMA_VERSION } from '../store/history-store.js'
import { BUNDLE_LIMITS, bundleError } from './bundle-limits.js'
import { validateBundleBody, type Bundle } from './bundle-validate.js'
import { plainMsgpackProblem } from './plain-msgpack.js'

/**
 * A history bundle is a header and a plain-MessagePack body:
 *
 * | bytes | what |
 * |---|---|
 * | 0–7 | magic `FLKBNDL\0` |
 * | 8–9 | bundle format version, u16 little-endian |
 * | 10–11 | the store `SCHEMA_VERSION` of the records, u16 little-endian |
 * | 12–43 | sha256 of the body |
 * | 44– | body: `{ createdAt, flakelineVersion, runs: [{ run, files }] }` |
 *
 * The versions come before the checksum, so a bundle from a newer flakeline is refused as such
 * even if that version checks its body another way.
 */
export const BUNDLE_MAGIC = Buffer.from('FLKBNDL\0', 'latin1')
/** The bundle format this flakeline writes and the newest it reads. */
export const BUNDLE_FORMAT_VERSION = 1
/** Magic, two versions and the checksum. */
export const BUNDLE_HEADER_BYTES = 44

const FORMAT_AT = 8
const SCHEMA_AT = 10
const CHECKSUM_AT = 12

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}

/**
 * Encodes a bundle. The body is packed with msgpackr's plain `pack` (maps, no records), so any
 * MessagePack library reads it; records must hold no `undefined` values (MessagePack has none).
 */
export function encodeBundle(bundle: Bundle): Buffer {
  const body = pack(bundle)
  const header = Buffer.alloc(BUNDLE_HEADER_BYTES)
  BUNDLE_MAGIC.copy(header, 0)
  header.writeUInt16LE(BUNDLE_FORMAT_VERSION, FORMAT_AT)
  header.writeUInt16LE(SCHEMA_VERSION, SCHEMA_AT)
  sha256(body).copy(header, CHECKSUM_AT)
  return Buffer.concat([header, body])
}

/**
 * Decodes and checks a bundle: size, magic, versions, checksum (before anything is decoded), that
 * the body is plain MessagePack, and every field. Throws `FLAKELINE_E_BUNDLE` naming `source` and
 * what is wrong; never anything else.
 */
export function decodeBundle(bytes: Uint8Array, source: string): Bundle {
  if (bytes.byteLength > BUNDLE_LIMITS.bundleBytes) throw bundleError(source, `${bytes.byteLength} bytes, more than the ${BUNDLE_LIMITS.bundleBytes} a bundle may have`)
  if (bytes.byteLength < BUNDLE_HEADER_BYTES) throw bundleError(source, `truncated: ${bytes.byteLength} bytes, shorter than a bundle's ${BUNDLE_HEADER_BYTES}-byte header`)
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!data.subarray(0, BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)) throw bundleError(source, 'not a flakeline history bundle (wrong magic bytes)')
  const format = data.readUInt16LE(FORMAT_AT)
  if (format > BUNDLE_FORMAT_VERSION) {
    throw bundleError(source, `written by a newer flakeline (bundle format ${format}; this flakeline reads format ${BUNDLE_FORMAT_VERSION} and older): upgrade flakeline to merge it`)
  }
  if (format === 0) throw bundleError(source, 'bundle format 0 does not exist')
  const schema = data.readUInt16LE(SCHEMA_AT)
  if (schema > SCHEMA_VERSION) {
    throw bundleError(source, `holds records of store schema ${schema}, newer than this flakeline's (${SCHEMA_VERSION}): upgrade flakeline to merge it`)
  }
  if (schema === 0) throw bundleError(source, 'store schema 0 does not exist')
  const body = data.subarray(BUNDLE_HEADER_BYTES)
  if (!timingSafeEqual(sha256(body), data.subarray(CHECKSUM_AT, CHECKSUM_AT + 32))) {
    throw bundleError(source, 'checksum mismatch: the file is damaged or was cut short')
  }
  const problem = plainMsgpackProblem(body, BUNDLE_LIMITS.depth)
  if (problem) throw bundleError(source, `malformed body: ${problem}`)
  let value: unknown
  try {
    value = unpack(body)
  } catch (error) {
    throw bundleError(source, `malformed body: ${error instanceof Error ? error.message : String(error)}`, error)
  }
  return validateBundleBody(value, source)
}

/** Reads and decodes the bundle at `path` (refused by size before it is read); problems name `source`. */
export async function readBundle(path: string, source = path): Promise<Bundle> {
  let bytes: Buffer
  try {
    const handle = await open(path, 'r')
    try {
      const { size } = await handle.stat()
      if (size > BUNDLE_LIMITS.bundleBytes) throw bundleError(source, `${size} bytes, more than the ${BUNDLE_LIMITS.bundleBytes} a bundle may have`)
      bytes = await handle.readFile()
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (error instanceof FlakelineError) throw error
    throw bundleError(source, `cannot read it: ${error instanceof Error ? error.message : String(error)}`, error)
  }
  return decodeBundle(bytes, source)
}

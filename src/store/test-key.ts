import { createHash } from 'node:crypto'

/**
 * LMDB keys are at most 1978 bytes, and a test's key holds its file id and its name. Names that
 * would not fit (a `test.each` row with a large value in its title, say) are stored shortened:
 * their start, then `…#` and a hash of the whole name, so two long names that share a start stay
 * apart and the same name always finds its history again.
 */
export const MAX_STORED_NAME_BYTES = 1024
/** The longest file id (its project and path) the store keeps: keys hold it with a test name or a run number. */
export const MAX_FILE_ID_BYTES = 1024

/** Whether the store can key `fileId`. */
export function fileIdFits(fileId: string): boolean {
  return fileId.length * 3 <= MAX_FILE_ID_BYTES || Buffer.byteLength(fileId) <= MAX_FILE_ID_BYTES
}

/** What a key's two strings may take together, leaving room for the key's own encoding. */
const KEY_BUDGET_BYTES = 1900
/** `…#` (three bytes and one) and 16 hex digits. */
const SUFFIX_BYTES = 20

/** The name a test's history is stored under: the name itself, or a shortened one (see above). */
export function storedTestName(name: string, maxBytes = MAX_STORED_NAME_BYTES): string {
  if (name.length * 3 <= maxBytes) return name
  const bytes = Buffer.from(name)
  if (bytes.length <= maxBytes) return name
  let end = Math.max(0, maxBytes - SUFFIX_BYTES)
  // Back up to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16)
  return `${bytes.subarray(0, end).toString()}…#${hash}`
}

/** The key of a test's history: its file id and its stored name, within LMDB's key size. */
export function testKey(fileId: string, name: string): [string, string] {
  const room = KEY_BUDGET_BYTES - Buffer.byteLength(fileId)
  return [fileId, storedTestName(name, Math.max(64, Math.min(MAX_STORED_NAME_BYTES, room)))]
}

import { readSync } from 'node:fs'

/**
 * Where LMDB keeps what flakeline reads from its file before LMDB does (mdb.c: `MDB_page_header`,
 * `MDB_meta`, `MDB_db`), and the read of its meta pages, for the header check (`history-store.ts`) and
 * the page check (`page-check.ts`).
 */

/** LMDB's meta page magic number (`MDB_MAGIC`), stored after the page header of pages 0 and 1. */
const LMDB_MAGIC = 0xbeefc0de

/** Offsets within a meta page: the magic, and the fields that follow it (relative to the magic). */
export const META_LAYOUT = {
  /** After a 24-byte (LMDB 1.0 format, lmdb-js's default) or 16-byte (0.9) page header: also the page header's size. */
  magicOffsets: [24, 16],
  /** The two database records (`mm_dbs`: the free-page list, then the main database), 48 bytes each. */
  databases: 24,
  /** The page size (`mm_dbs[0].md_pad`). */
  pageSize: 24,
  /** The last used page (`mm_last_pg`). */
  lastPage: 120,
  /** The id of the transaction that committed this meta (`mm_txnid`). */
  txnId: 128,
} as const

/** The meta pages of an LMDB file as read before LMDB opens it. */
export interface MetaPages {
  /** Where the magic sits in a meta page: the page header's size. */
  at: number
  pageSize: number
  /** The start of each of pages 0 and 1 that carries the magic (two in a sound file), long enough for every field. */
  metas: Buffer[]
}

/** Bytes of a meta page read: past the last field flakeline reads at either header size. */
const META_BYTES = 256

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  return buffer.subarray(0, readSync(fd, buffer, 0, length, position))
}

/** Both meta pages of the open file `fd`, or why it is not an LMDB file (`wrong magic number`, `impossible page size N`). */
export function readMetaPages(fd: number): MetaPages | string {
  const first = readAt(fd, 0, META_BYTES)
  const whole = (page: Buffer, at: number) => page.length >= at + META_LAYOUT.txnId + 8 && page.readUInt32LE(at) === LMDB_MAGIC
  const at = META_LAYOUT.magicOffsets.find((offset) => whole(first, offset))
  if (at === undefined) return 'wrong magic number'
  const pageSize = first.readUInt32LE(at + META_LAYOUT.pageSize)
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `impossible page size ${pageSize}`
  return { at, pageSize, metas: [first, readAt(fd, pageSize, META_BYTES)].filter((page) => whole(page, at)) }
}

/**
 * Where LMDB keeps what flakeline reads from its file before LMDB does (mdb.c: `MDB_page_header`,
 * `MDB_meta`, `MDB_db`), for the header check (`history-store.ts`) and the page check (`page-check.ts`).
 */

/** LMDB's meta page magic number (`MDB_MAGIC`), stored after the page header of pages 0 and 1. */
export const LMDB_MAGIC = 0xbeefc0de

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

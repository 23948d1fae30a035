import type { Key } from 'lmdb'

/**
 * What the record walk's child process (`salvage-child.ts`) tells its parent, one MessagePack frame
 * (4-byte little-endian length, then the body) each:
 * `open`: the store could not be opened (code, message); `db`: a database begins (LMDB's own count
 * of its entries); `rec`: a record that passed the checks (dump mode only); `bad`: a damaged record
 * (its key as text, what is wrong; `skipped` for the key a resumed walk steps over unread); `progress`: records walked so far; `fail`: walking the database
 * threw (the rest of it is unreadable); `end`: the database was walked to its end; `pages`: what the
 * page check (`page-check.ts`) found wrong in LMDB's own structure (empty when nothing); `probe`: the
 * aborted write of `probe` mode went through (or the store is read-only); `done`: all were.
 */
export type WalkFrame =
  | ['open', string, string]
  | ['db', string, number]
  | ['rec', string, Key, unknown]
  | ['bad', string, string, string, 'skipped' | null]
  | ['progress', string, number]
  | ['fail', string, string, number]
  | ['end', string, number]
  | ['pages', string[]]
  | ['probe', 'ok' | 'read-only']
  | ['done']

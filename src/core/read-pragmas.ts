import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { PRAGMA_READ_BYTES, parsePragmas, type FilePragmas } from '../scheduling/pragmas.js'

/**
 * Suites above this many files are planned without reading pragmas: each read costs a few
 * microseconds to tens of microseconds (more on network and overlay file systems), which is noise
 * for a normal suite and most of the planning budget for 50,000 files. Config globs still apply.
 */
export const PRAGMA_FILE_LIMIT = 5_000

/**
 * The pragmas of the test file at `absolutePath`, from its first `PRAGMA_READ_BYTES` only.
 * Non-blocking and non-following of surprises: anything that is not a regular file (a FIFO, a
 * device, a directory) or cannot be read has no pragmas. Never throws.
 */
export function readPragmas(absolutePath: string): FilePragmas | null {
  let fd: number | undefined
  try {
    fd = openSync(absolutePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
    if (!fstatSync(fd).isFile()) return null
    const buffer = Buffer.alloc(PRAGMA_READ_BYTES)
    const read = readSync(fd, buffer, 0, PRAGMA_READ_BYTES, 0)
    const text = buffer.toString('utf8', 0, read)
    return text.includes('@flakeline-') ? parsePragmas(text) : null
  } catch {
    return null
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

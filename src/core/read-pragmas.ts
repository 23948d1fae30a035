import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { PRAGMA_READ_BYTES, parsePragmas, type FilePragmas } from '../scheduling/pragmas.js'

/**
 * Suites above this many files are planned without reading pragmas: each read costs a few
 * microseconds to tens of microseconds (more on network and overlay file systems), which is noise
 * for a normal suite and most of the planning budget for 50,000 files. Config globs still apply.
 */
export const PRAGMA_FILE_LIMIT = 5_000

/**
 * `path` (relative to `root`, from the runner, the store or an import) as an absolute path when it
 * stays inside `root` after resolving, else null. Lexical: `..`, absolute paths and other drives
 * are caught; a symlink inside the project is the project's own. Pragmas are read only from paths
 * this returns, so a hostile import or store cannot make `plan` open `/etc/shadow`.
 */
export function pathInsideRoot(root: string, path: string): string | null {
  if (path.includes('\u0000')) return null
  const absolute = resolve(root, path)
  const inside = relative(resolve(root), absolute)
  if (inside === '' || inside === '..' || inside.startsWith(`..${'/'}`) || inside.startsWith('..\\') || isAbsolute(inside)) return null
  return absolute
}

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

/** `readPragmas` of `path` under `root`; null, without opening anything, for a path that leaves the root. */
export function readPragmasInside(root: string, path: string): FilePragmas | null {
  const absolute = pathInsideRoot(root, path)
  return absolute === null ? null : readPragmas(absolute)
}

import { isAbsolute } from 'node:path'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { fileIdOf, quotedPath, relativePathProblem, relativeTestPath } from '../identity.js'
import { MAX_FILE_ID_BYTES, fileIdFits } from '../store/test-key.js'

/**
 * Bounds on imported histories. Each is far above a real CI history and far below what would
 * exhaust memory, so a hostile or broken file fails with a clear error instead of taking the
 * machine down.
 */
export const IMPORT_LIMITS = {
  /** One NDJSON line. */
  lineBytes: 1024 * 1024,
  /** One JUnit XML file (read whole). */
  xmlBytes: 64 * 1024 * 1024,
  /** Element nesting in XML. */
  xmlDepth: 256,
  /** Elements in one XML file. */
  xmlElements: 2_000_000,
  /** Attributes on one XML element. */
  xmlAttributes: 256,
  /** Characters of text kept per XML element (the rest of a huge <system-out> is not needed). */
  xmlTextChars: 256 * 1024,
  /** Files in one run, and tests in one file of one run. */
  filesPerRun: 200_000,
  testsPerFile: 100_000,
  /** A file path or run id (the store keys file ids of up to 1 KB), and a test name. */
  pathChars: 1000,
  testNameChars: 8192,
  /** One file's or test's duration: a week. */
  durationMs: 7 * 24 * 3_600_000,
  /**
   * The latest start of a run or test: the end of the year 9999, what an ISO date can say with a
   * four-digit year, and far enough below the latest `Date` (year 275760) that a run's durations
   * cannot carry its end past it (the store would call such a run damaged).
   */
  latestTime: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
} as const

export function importError(where: string, message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.IMPORT, `${where}: ${message}`)
}

export function limitError(where: string, message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.IMPORT_LIMIT, `${where}: ${message}`)
}

/**
 * Refuses a file whose id (its project and path) is longer than the store can key: the store would
 * refuse it halfway through the import, after earlier runs were written.
 */
export function checkFileId(project: string, path: string, where: string): void {
  const fileId = fileIdOf(project, path)
  if (!fileIdFits(fileId)) throw limitError(where, `the file's project and path take ${Buffer.byteLength(fileId)} bytes, more than the ${MAX_FILE_ID_BYTES} the store keeps`)
}

/**
 * A test file's path as an import gives it, as the store keeps it: backslashes made `/`, leading
 * `./` dropped, and an absolute path inside `root` made relative to it. Anything else that would name a
 * file outside the root (`../x`, an absolute path elsewhere or without a root to compare with),
 * or holds control characters or empty segments, is refused with `FLAKELINE_E_IMPORT` naming
 * `where` (file and line): `plan` later reads pragmas from the paths in the store.
 */
export function importedPath(raw: string, root: string | null, where: string): string {
  const slashed = raw.replace(/\\/g, '/')
  let path = slashed
  if (isAbsolute(slashed)) {
    const inside = root === null ? null : relativeTestPath(root, slashed)
    if (inside === null || inside === '' || inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
      throw importError(where, `the test file path ${quotedPath(raw)} is outside the package root${root === null ? '' : ` ${quotedPath(root)}`}; imported paths must stay inside it`)
    }
    path = inside
  }
  path = path.replace(/^(?:\.\/)+/, '')
  if (path.length > IMPORT_LIMITS.pathChars) throw limitError(where, `file path longer than ${IMPORT_LIMITS.pathChars} characters`)
  const problem = relativePathProblem(path, IMPORT_LIMITS.pathChars)
  if (problem) throw importError(where, `the test file path ${problem}`)
  return path
}

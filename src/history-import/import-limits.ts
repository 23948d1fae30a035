import { ErrorCodes, FlakelineError } from '../errors.js'

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
} as const

export function importError(where: string, message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.IMPORT, `${where}: ${message}`)
}

export function limitError(where: string, message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.IMPORT_LIMIT, `${where}: ${message}`)
}

import { ErrorCodes, FlakelineError } from '../errors.js'
import { IMPORT_LIMITS } from '../history-import/import-limits.js'

/**
 * Bounds on history bundles. A bundle is read whole and decoded into objects, so each bound is far
 * above what a real CI job exports and far below what would exhaust memory: a hostile or broken
 * file fails with a clear error instead of taking the merge job down.
 */
export const BUNDLE_LIMITS = {
  /** The whole file, checked before it is read. */
  bundleBytes: 128 * 1024 * 1024,
  /** Runs in one bundle (a store keeps `historyLimit` runs, 200 by default). */
  runsPerBundle: 10_000,
  /** As for `flakeline import`. */
  filesPerRun: IMPORT_LIMITS.filesPerRun,
  testsPerFile: IMPORT_LIMITS.testsPerFile,
  pathChars: IMPORT_LIMITS.pathChars,
  testNameChars: IMPORT_LIMITS.testNameChars,
  durationMs: IMPORT_LIMITS.durationMs,
  /** A failure message: `maxMessageLength` allows 1,000,000 characters, and trimming adds a short note. */
  messageChars: 1_000_100,
  /** Versions, commits, uids, fingerprints. */
  shortTextChars: 128,
  /** Attempts of one test (and its attempt outcomes and retry errors). */
  attempts: 1_000,
  /** Nesting of the MessagePack body; a valid bundle nests 7 deep. */
  depth: 16,
} as const

/** A `FLAKELINE_E_BUNDLE` error naming the bundle (`source`) and what is wrong with it. */
export function bundleError(source: string, message: string, cause?: unknown): FlakelineError {
  return new FlakelineError(ErrorCodes.BUNDLE, `${source}: ${message}`, cause === undefined ? undefined : { cause })
}

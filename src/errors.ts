/**
 * Every error flakeline raises carries a stable `code`. The README lists them all; tests assert them.
 */
export const ErrorCodes = {
  /** An option has the wrong type or value, or is unknown. */
  CONFIG: 'FLAKELINE_E_CONFIG',
  /** `flakeline.config.{json,js,mjs}` exists but cannot be read or parsed. */
  CONFIG_FILE: 'FLAKELINE_E_CONFIG_FILE',
  /** The store directory cannot be created or opened (permissions, not a directory, ...). */
  STORE_OPEN: 'FLAKELINE_E_STORE_OPEN',
  /** The store's files are not a valid LMDB environment or hold undecodable records. */
  STORE_CORRUPT: 'FLAKELINE_E_STORE_CORRUPT',
  /** The store was written by a newer flakeline with a schema this version does not know. */
  STORE_SCHEMA: 'FLAKELINE_E_STORE_SCHEMA',
  /** A write transaction failed; the batch was not applied. */
  STORE_WRITE: 'FLAKELINE_E_STORE_WRITE',
  /** The store was used after `close()`. */
  STORE_CLOSED: 'FLAKELINE_E_STORE_CLOSED',
  /** The store's disk is full (or failed the write), or LMDB's map is full: nothing more is recorded this run. */
  STORE_FULL: 'FLAKELINE_E_STORE_FULL',
  /** The reporter hit an unexpected problem while recording; the test run itself is unaffected. */
  REPORTER: 'FLAKELINE_E_REPORTER',
  /** The sequencer could not plan; the runner's default order was used. */
  SEQUENCER: 'FLAKELINE_E_SEQUENCER',
  /** The CLI was called with arguments it does not understand. */
  USAGE: 'FLAKELINE_E_USAGE',
  /** `flakeline history` found no file or test matching the query. */
  NOT_FOUND: 'FLAKELINE_E_NOT_FOUND',
  /** The demo could not find a test runner (vitest or jest) to run. */
  DEMO_RUNNER: 'FLAKELINE_E_DEMO_RUNNER',
  /** An analysis kernel got a series or option it cannot use (NaN, Infinity, a non-integer code, ...). */
  ANALYSIS_INPUT: 'FLAKELINE_E_ANALYSIS_INPUT',
  /** The WebAssembly kernels could not be found, compiled or instantiated. */
  ANALYSIS_WASM: 'FLAKELINE_E_ANALYSIS_WASM',
  /** An analysis worker thread crashed, could not start, or returned something unexpected. */
  ANALYSIS_WORKER: 'FLAKELINE_E_ANALYSIS_WORKER',
  /** The analysis pool was used after `close()`, or closed while work was in flight. */
  ANALYSIS_CLOSED: 'FLAKELINE_E_ANALYSIS_CLOSED',
  /** The analysis after a run took longer than `analysisTimeout`; the previous verdicts stay. */
  ANALYSIS_TIMEOUT: 'FLAKELINE_E_ANALYSIS_TIMEOUT',
  /** An NDJSON or JUnit history given to `flakeline import` or `replay` is malformed (the message names file, line and field). */
  IMPORT: 'FLAKELINE_E_IMPORT',
  /** An imported file, line, nesting depth or count exceeds flakeline's bounds (the message names the bound). */
  IMPORT_LIMIT: 'FLAKELINE_E_IMPORT_LIMIT',
  /** A test file's `@flakeline-*` pragma is unknown or has a bad value (the file keeps its configured schedule), or a planned path leads outside the package root (its pragmas are not read). */
  PRAGMA: 'FLAKELINE_E_PRAGMA',
  /** The hub refused the token (HTTP 401 on the WebSocket upgrade, close code 4001 over QUIC). */
  HUB_AUTH: 'FLAKELINE_E_HUB_AUTH',
  /** A frame was not valid MessagePack `[channel, seq, type, payload]`, too large, or out of protocol. */
  PROTOCOL: 'FLAKELINE_E_PROTOCOL',
  /** The hub could not listen on its host and port (port in use, no permission, bad address). */
  HUB_LISTEN: 'FLAKELINE_E_HUB_LISTEN',
  /** A publisher or subscriber could not reach the hub, or lost it and gave up. */
  HUB_UNREACHABLE: 'FLAKELINE_E_HUB_UNREACHABLE',
  /** The hub or a hub client was used after `close()`. */
  HUB_CLOSED: 'FLAKELINE_E_HUB_CLOSED',
  /** The hub disconnected a subscriber that stayed too far behind (close code 4008). */
  SUBSCRIBER_SLOW: 'FLAKELINE_E_SUBSCRIBER_SLOW',
  /** The QUIC certificate or key cannot be read, generated, or does not match the pinned fingerprint. */
  TLS: 'FLAKELINE_E_TLS',
  /** QUIC was asked for, but the optional package `@matrixai/quic` is not installed, cannot be loaded here, or is not 2.x. */
  QUIC_MISSING: 'FLAKELINE_E_QUIC_MISSING',
  /** A shard plan (`FLAKELINE_SHARD_PLAN`, `shardPlan`) is missing, unreadable, invalid, or made for another shard count. */
  SHARD_PLAN: 'FLAKELINE_E_SHARD_PLAN',
  /** A history bundle given to `merge` is malformed, damaged, too large, or from a newer flakeline. */
  BUNDLE: 'FLAKELINE_E_BUNDLE',
  /** GitHub annotations, the job summary, a report or the run outcome for `flakeline run` could not be made or written; the run is unaffected. */
  CI_OUTPUT: 'FLAKELINE_E_CI_OUTPUT',
  /** `flakeline run` could not start the command it wraps (not found, not executable). */
  RUN_COMMAND: 'FLAKELINE_E_RUN_COMMAND',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** The one error class flakeline throws; `code` is stable across versions. */
export class FlakelineError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    // Like Node's own errors, the stack's first line names the code ("FlakelineError [FLAKELINE_E_...]: ..."),
    // so a runner that prints only the stack still shows it.
    this.name = `FlakelineError [${code}]`
    void this.stack
    this.name = 'FlakelineError'
  }
}

/** Wraps any thrown value as a FlakelineError with the given code, keeping the original as `cause`. */
export function asFlakelineError(error: unknown, code: ErrorCode, context: string): FlakelineError {
  if (error instanceof FlakelineError) return error
  const detail = error instanceof Error ? error.message : String(error)
  return new FlakelineError(code, `${context}: ${detail}`, { cause: error })
}

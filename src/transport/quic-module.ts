import { ErrorCodes, FlakelineError } from '../errors.js'
import type { QuicApi, QuicLogger } from './quic-api.js'

const INSTALL = 'npm install --save-dev @matrixai/quic'

/**
 * What flakeline passes as the library's logger. It logs every connection and stream at INFO and
 * flakeline reports problems itself, so nothing is logged. A plain object rather than
 * `@matrixai/logger` at level SILENT: that package would be one more to install or resolve, and
 * the library only calls `getChild`, `info` and `debug` on it (2.0.9; the rest is defensive).
 */
export const silentQuicLogger: QuicLogger = Object.freeze({
  getChild: () => silentQuicLogger,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  // @matrixai/logger's LogLevel.SILENT.
  getEffectiveLevel: () => 100,
})

/** Whether `error` says that `@matrixai/quic` itself cannot be found (not a file or a package it needs). */
function isNotInstalled(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  // import() says "Cannot find package '@matrixai/quic' imported from ...", require() "Cannot find module '@matrixai/quic'".
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes("'@matrixai/quic'")
}

function notLoaded(error: unknown): FlakelineError {
  if (isNotInstalled(error)) {
    return new FlakelineError(ErrorCodes.QUIC_MISSING, `QUIC needs the optional package @matrixai/quic: ${INSTALL} (WebSocket hubs need nothing more)`, { cause: error })
  }
  // Installed but unusable: most often no native binary for this platform, or a package it needs is missing.
  const detail = error instanceof Error ? error.message : String(error)
  return new FlakelineError(
    ErrorCodes.QUIC_MISSING,
    `QUIC needs the optional package @matrixai/quic, which cannot be loaded here: ${detail} (reinstall it on this machine: ${INSTALL}; WebSocket hubs need nothing more)`,
    { cause: error },
  )
}

/** The names of what flakeline uses that `quic` lacks (another major version, or not the real package). */
function missingParts(quic: Partial<Record<keyof QuicApi, unknown>>): string[] {
  const missing: string[] = []
  if (typeof quic.QUICServer !== 'function') missing.push('QUICServer')
  if (typeof (quic.QUICClient as Partial<QuicApi['QUICClient']> | undefined)?.createQUICClient !== 'function') missing.push('QUICClient.createQUICClient')
  const events = (quic.events ?? {}) as Partial<Record<string, { name?: unknown }>>
  for (const name of ['EventQUICServerConnection', 'EventQUICConnectionStream', 'EventQUICConnectionError', 'EventQUICConnectionStopped'] as const) {
    if (typeof events[name]?.name !== 'string') missing.push(`events.${name}`)
  }
  return missing
}

let loading: Promise<QuicApi> | null = null

/**
 * Loads `@matrixai/quic` on first use; rejects with `FLAKELINE_E_QUIC_MISSING` when it is not
 * installed, cannot be loaded, or lacks what flakeline uses. It is ESM-only and the Jest reporter
 * is a CommonJS bundle: a dynamic `import()` works from both, and keeps QUIC's native module out
 * of runs that do not use it.
 */
export function loadQuic(): Promise<QuicApi> {
  if (loading) return loading
  // `as string` stops TypeScript looking for the package's own types (quic-api.ts describes it, and it
  // may not be installed); the emitted code keeps the literal specifier.
  const attempt = import('@matrixai/quic' as string).then(
    (quic: Partial<Record<keyof QuicApi, unknown>>) => {
      const missing = missingParts(quic)
      if (missing.length > 0) {
        throw new FlakelineError(
          ErrorCodes.QUIC_MISSING,
          `@matrixai/quic lacks ${missing.join(', ')}; flakeline needs @matrixai/quic 2.x: npm install --save-dev @matrixai/quic@2`,
        )
      }
      return quic as unknown as QuicApi
    },
    (error: unknown) => {
      throw notLoaded(error)
    },
  )
  // A failure is not kept: the next call looks again, so a package installed since is found
  // (Node does not remember a package it could not find).
  attempt.catch(() => {
    if (loading === attempt) loading = null
  })
  loading = attempt
  return attempt
}

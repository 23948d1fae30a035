import type * as Quic from '@matrixai/quic'
import type LoggerClass from '@matrixai/logger'

/** The parts of `@matrixai/quic` and its logger flakeline uses. */
export interface QuicModule {
  quic: typeof Quic
  silentLogger: () => InstanceType<typeof LoggerClass>
}

let loading: Promise<QuicModule> | null = null

/**
 * Loads `@matrixai/quic` on first use. It is ESM-only, and the Jest reporter is a CommonJS bundle:
 * a dynamic `import()` works from both, and keeps QUIC's native module out of runs that do not use it.
 */
export function loadQuic(): Promise<QuicModule> {
  loading ??= Promise.all([import('@matrixai/quic'), import('@matrixai/logger')]).then(([quic, logger]) => ({
    quic,
    // The library logs every connection at INFO; flakeline reports problems itself.
    silentLogger: () => new logger.default('flakeline-quic', logger.LogLevel.SILENT),
  }))
  return loading
}

import { ErrorCodes, FlakelineError } from '../errors.js'

export { ErrorCodes, FlakelineError }

/** A FlakelineError for a series or option an analysis kernel cannot use. */
export function inputError(message: string): FlakelineError {
  return new FlakelineError(ErrorCodes.ANALYSIS_INPUT, message)
}

/** A FlakelineError for kernels that cannot be loaded; `cause` keeps the engine's own error. */
export function wasmError(message: string, cause?: unknown): FlakelineError {
  return new FlakelineError(ErrorCodes.ANALYSIS_WASM, message, cause === undefined ? undefined : { cause })
}

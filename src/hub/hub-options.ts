import { ErrorCodes, FlakelineError } from '../errors.js'
import { DEFAULT_MAX_MESSAGE_BYTES } from '../transport/protocol.js'
import type { SubscriberLimits } from '../transport/subscriber-queue.js'

/** Tuning of a `ChannelHub`; every field has a default (`DEFAULT_HUB_OPTIONS`). */
export interface ChannelHubOptions extends SubscriberLimits {
  /** Frames each lossless channel keeps for replay. Console keeps a quarter. Default 100,000. */
  replayFrames: number
  /** Bytes each lossless channel keeps for replay. Console keeps a quarter. Default 32 MiB. */
  replayBytes: number
  /** How long a subscriber may stay more than `maxLagFrames` behind before it is disconnected. Default 10 s. */
  slowGraceMs: number
  /** Largest message a client may send, in bytes. Default 1 MiB. */
  maxMessageBytes: number
  /** A connection that sends no hello within this time is closed. Default 10 s. */
  helloTimeoutMs: number
  /** Publishers whose positions are remembered for resuming (oldest forgotten first). Default 4096. */
  maxPublishers: number
}

export const DEFAULT_HUB_OPTIONS: Readonly<ChannelHubOptions> = Object.freeze({
  replayFrames: 100_000,
  replayBytes: 32 * 1024 * 1024,
  maxLagFrames: 50_000,
  maxConsoleLag: 2_000,
  coalesceConsoleLag: 200,
  slowGraceMs: 10_000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  helloTimeoutMs: 10_000,
  maxPublishers: 4096,
})


const RANGES: Record<keyof ChannelHubOptions, readonly [number, number]> = {
  replayFrames: [16, 10_000_000],
  replayBytes: [64 * 1024, 4 * 1024 * 1024 * 1024],
  maxLagFrames: [1, 10_000_000],
  maxConsoleLag: [1, 10_000_000],
  coalesceConsoleLag: [1, 10_000_000],
  slowGraceMs: [0, 3_600_000],
  maxMessageBytes: [1024, 256 * 1024 * 1024],
  helloTimeoutMs: [1, 3_600_000],
  maxPublishers: [1, 1_000_000],
}

/**
 * Fills in defaults and checks every hub option, then the rules between them. Throws
 * `FLAKELINE_E_CONFIG` with a message naming the option.
 */
export function validateHubOptions(input: Partial<ChannelHubOptions>, label = 'hub options'): ChannelHubOptions {
  for (const key of Object.keys(input)) {
    if (!(key in RANGES)) {
      throw new FlakelineError(ErrorCodes.CONFIG, `${label}: unknown option "${key}" (known options: ${Object.keys(RANGES).join(', ')})`)
    }
  }
  const options = { ...DEFAULT_HUB_OPTIONS }
  for (const [key, [min, max]] of Object.entries(RANGES) as Array<[keyof ChannelHubOptions, readonly [number, number]]>) {
    const value = input[key]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new FlakelineError(ErrorCodes.CONFIG, `${label}.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
    }
    options[key] = value
  }
  // A subscriber must be disconnected for lagging before the frames it needs leave the log, or it
  // would lose results silently; and console lines are coalesced before they are dropped.
  if (options.maxLagFrames >= options.replayFrames) {
    throw new FlakelineError(ErrorCodes.CONFIG, `${label}.maxLagFrames (${options.maxLagFrames}) must be less than ${label}.replayFrames (${options.replayFrames})`)
  }
  if (options.coalesceConsoleLag >= options.maxConsoleLag) {
    throw new FlakelineError(
      ErrorCodes.CONFIG,
      `${label}.coalesceConsoleLag (${options.coalesceConsoleLag}) must be less than ${label}.maxConsoleLag (${options.maxConsoleLag})`,
    )
  }
  return options
}

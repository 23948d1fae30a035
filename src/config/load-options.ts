import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { DEFAULT_OPTIONS, optionsFromEnvironment, thrownReason, validateOptions, type FlakelineOptions } from './options.js'

/** Config file names looked up in the root, first found wins. */
export const CONFIG_FILE_NAMES = ['flakeline.config.json', 'flakeline.config.js', 'flakeline.config.mjs', 'flakeline.config.cjs'] as const

/** Options after every layer is applied; `dir` and `shardPlan` are absolute. */
export interface ResolvedOptions extends FlakelineOptions {
  dir: string
  /** The directory the store and config file are relative to. */
  root: string
  /** The config file that was read, if any. */
  configFile: string | null
}

export interface LoadedOptions {
  options: ResolvedOptions
  /** Problems found in any layer; the affected options fell back to the layer below. */
  problems: FlakelineError[]
}

/** The nearest directory at or above `start` holding a package.json, or `start` itself. */
export function findPackageRoot(start: string): string {
  let current = resolve(start)
  for (;;) {
    if (existsSync(join(current, 'package.json'))) return current
    const parent = dirname(current)
    if (parent === current) return resolve(start)
    current = parent
  }
}

/**
 * The config file's value, wrapped: resolving a promise with the value itself would call a `then` it
 * has (and never settle for `export default { then() {} }`), or throw for a revoked proxy.
 */
async function readConfigFile(file: string): Promise<{ value: unknown }> {
  try {
    if (file.endsWith('.json')) return { value: JSON.parse(readFileSync(file, 'utf8')) }
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown }
    return { value: module.default ?? module }
  } catch (error) {
    throw new FlakelineError(ErrorCodes.CONFIG_FILE, `cannot read ${file}: ${thrownReason(error)}`, { cause: error })
  }
}

/**
 * Resolves options for a run rooted at `root`. Precedence, lowest first: defaults, the
 * `flakeline.config.*` file in the root, `inline` options (reporter options or the sequencer
 * factory's argument), then `FLAKELINE_*` environment variables. Never rejects for bad input:
 * problems are returned; callers in strict mode throw the first one.
 */
export async function loadOptions(
  root: string,
  inline?: unknown,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedOptions> {
  const problems: FlakelineError[] = []
  let fileLayer: Partial<FlakelineOptions> = {}
  const configFile = CONFIG_FILE_NAMES.map((name) => join(root, name)).find((file) => existsSync(file)) ?? null
  if (configFile) {
    try {
      const validated = validateOptions((await readConfigFile(configFile)).value, configFile, (key) => `${configFile}: ${key}`)
      fileLayer = validated.options
      problems.push(...validated.problems)
    } catch (error) {
      problems.push(asFlakelineError(error, ErrorCodes.CONFIG_FILE, `cannot read ${configFile}`))
    }
  }
  const inlineLayer = validateOptions(inline, 'options')
  const envLayer = optionsFromEnvironment(env)
  problems.push(...inlineLayer.problems, ...envLayer.problems)
  const merged: FlakelineOptions = { ...DEFAULT_OPTIONS, ...fileLayer, ...inlineLayer.options, ...envLayer.options }
  const dir = resolve(root, merged.dir ?? '.flakeline')
  const shardPlan = merged.shardPlan === undefined ? undefined : resolve(root, merged.shardPlan)
  return { options: { ...merged, dir, ...(shardPlan ? { shardPlan } : {}), root, configFile }, problems }
}

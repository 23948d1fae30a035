import { FlakelineError, ErrorCodes } from '../errors.js'
import { POLICIES, PRIORITIES, type PolicyName, type Priority } from '../scheduling/plan-types.js'
import { parseDuration } from '../scheduling/duration-text.js'
import { globProblem } from '../scheduling/glob.js'
import { quotedText, shownText } from '../identity.js'
import { parseHubUrl, shownHubUrl } from '../transport/hub-url.js'

/** Everything a user can set. Every field is optional in config; defaults are in `DEFAULT_OPTIONS`. */
export interface FlakelineOptions {
  /** Store directory. Default: `<root>/.flakeline`, where root is the runner's root directory. */
  dir?: string
  /** Runs of history kept per file and per test, and run records kept in the store. Default 200. */
  historyLimit: number
  /** Throw flakeline's own problems into the test run instead of warning once. Default false. */
  strict: boolean
  /** Turn recording and ordering off without touching the runner config. Default true. */
  enabled: boolean
  /** Failure messages are trimmed to this many characters. Default 2000. */
  maxMessageLength: number
  /** Print nothing but warnings. Default false. */
  quiet: boolean
  /** Use this run id instead of a generated one (for example one id for every shard of a CI job). */
  runId?: string
  /** How the sequencer orders files: `auto` (default), `edf`, `llf`, `priority`, `wspt`, `lpt`, `shuffle`, `recent` or `default`. */
  policy: PolicyName
  /** Deadlines by path glob, from the run's start: `{ "tests/smoke/**": "20s" }`. A file's `@flakeline-deadline` pragma wins. */
  deadlines: Record<string, string | number>
  /** Priority classes by path glob: `{ "tests/smoke/**": "critical" }`. A file's `@flakeline-priority` pragma wins. */
  priorities: Record<string, Priority>
  /** Seed of the `shuffle` policy; without one a random seed is drawn and printed. */
  seed?: number
  /** Workers the plan assumes. Default: the runner's worker count. */
  workers?: number
  /** Use git to find test files changed since the last recorded run (they are likelier to fail). Default true. */
  gitChanges: boolean
  /**
   * Serve a live hub and dashboard from the runner's process while it runs: `true` (a free port),
   * a port number, or `{ port, host, quicPort, keepAlive }`. Not with `hub`. After the run the
   * dashboard stays up until Ctrl+C when stdout is a terminal outside CI, else it closes (and says
   * so); `keepAlive: true` or `false` decides instead (see `keepDashboardUp`).
   */
  serve?: ServeOption
  /** Publish the run live to a hub, `ws://host:port` or `quic://host:port?fingerprint=HEX` (`FLAKELINE_HUB`). Needs `token`. */
  hub?: string
  /** The hub's token (`FLAKELINE_TOKEN`): for `hub`, or the token of the `serve` hub (default: a new one, printed). */
  token?: string
  /**
   * A shard plan written by `flakeline plan --shards N --out FILE` (`FLAKELINE_SHARD_PLAN`), relative
   * to the root: with `--shard`, every shard takes its files from it. One that cannot be read fails the run.
   */
  shardPlan?: string
  /** Analyse the tests that ran after each run and store flaky verdicts (default true). */
  analysis: boolean
  /** Milliseconds the analysis after a run may take before it is abandoned (the previous verdicts stay). Default 30000. */
  analysisTimeout: number
  /** Where files with known-flaky tests go in the order: `last` (default), `first`, or `default` (wherever their evidence puts them). */
  flakyPlacement: FlakyPlacement
  /**
   * CI outputs at the end of a run: `auto` (default) writes GitHub annotations and the job summary when
   * `GITHUB_ACTIONS=true`; `github` always (annotations on stderr, the summary when `GITHUB_STEP_SUMMARY`
   * is set); `none` never.
   */
  ci: CiMode
  /**
   * Annotate failed tests with `::error` (GitHub). `auto` (default): unless the runner's own
   * `github-actions` reporter is on and does it already; `false` leaves failures to it.
   */
  annotateFailures: boolean | 'auto'
  /**
   * Quarantine known-flaky failures (off by default): `true`, or path globs of the files it applies to.
   * A run whose only failures are tests with a `flaky` verdict from earlier runs, at least
   * `quarantineMinConfidence` sure, ends as a success through `flakeline run -- <runner>`; each is still
   * reported. A `failing` or `new` test is never quarantined.
   */
  quarantine: boolean | string[]
  /** The confidence a `flaky` verdict needs before its failures are quarantined (0 to 1). Default 0.9. */
  quarantineMinConfidence: number
}

/** See `FlakelineOptions.ci`. */
export type CiMode = 'auto' | 'github' | 'none'

/** Where files with known-flaky tests go: see `FlakelineOptions.flakyPlacement`. */
export type FlakyPlacement = 'last' | 'first' | 'default'

/** The `serve` option: where an in-process hub listens, and whether it outlives the run. */
export type ServeOption = boolean | number | { port?: number; host?: string; quicPort?: number; keepAlive?: boolean }

export const DEFAULT_OPTIONS: Readonly<FlakelineOptions> = Object.freeze({
  historyLimit: 200,
  strict: false,
  enabled: true,
  maxMessageLength: 2000,
  quiet: false,
  policy: 'auto',
  deadlines: Object.freeze({}) as Record<string, string | number>,
  priorities: Object.freeze({}) as Record<string, Priority>,
  gitChanges: true,
  analysis: true,
  analysisTimeout: 30_000,
  flakyPlacement: 'last',
  ci: 'auto',
  annotateFailures: 'auto',
  quarantine: false,
  quarantineMinConfidence: 0.9,
})

type Check = (value: unknown) => string | null

const isPositiveInteger = (max: number): Check => (value) =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max
    ? null
    : `must be an integer from 1 to ${max}`
const isBoolean: Check = (value) => (typeof value === 'boolean' ? null : 'must be true or false')
const isNonEmptyString: Check = (value) =>
  typeof value === 'string' && value.length > 0 ? null : 'must be a non-empty string'
const isRunId: Check = (value) =>
  typeof value === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(value)
    ? null
    : 'must be 1 to 128 characters of letters, digits, ".", "_", ":" or "-"'

const isPolicy: Check = (value) =>
  typeof value === 'string' && (POLICIES as readonly string[]).includes(value) ? null : `must be one of ${POLICIES.join(', ')}`
const isPort = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535
const isServe: Check = (value) => {
  const shape = 'must be true, false, a port number (0 for a free one) or { port, host, quicPort, keepAlive }'
  if (typeof value === 'boolean' || isPort(value)) return null
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return shape
  for (const [key, entry] of Object.entries(value)) {
    if (key === 'port' || key === 'quicPort') {
      if (!isPort(entry)) return `.${key} must be an integer from 0 to 65535, got ${describeValue(entry)}`
    } else if (key === 'host') {
      if (typeof entry !== 'string' || entry.length === 0) return `.host must be a non-empty host name or address, got ${describeValue(entry)}`
    } else if (key === 'keepAlive') {
      if (typeof entry !== 'boolean') return `.keepAlive must be true or false, got ${describeValue(entry)}`
    } else return `.${shownText(key)} is not a serve option (known: port, host, quicPort, keepAlive)`
  }
  return null
}
const isHubUrl: Check = (value) => {
  if (typeof value !== 'string') return 'must be a URL like ws://127.0.0.1:7357 or quic://127.0.0.1:7358'
  try {
    parseHubUrl(value)
    return null
  } catch (error) {
    return (error as Error).message.replace(/^the hub URL:? ?/, '').replace(/, got .*$/, '')
  }
}
const isToken: Check = (value) =>
  typeof value === 'string' && value.length >= 16 && !/\s/.test(value) ? null : 'must be at least 16 characters without spaces'

const isSeed: Check = (value) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff ? null : 'must be an integer from 0 to 4294967295'

/** Most globs an option may list: more is a generated config gone wrong, and every plan matches them all. */
const MAX_GLOBS = 1_000

/**
 * Checks a `{ glob: value }` option. Problems name the entry, `["tests/smoke/**"] must ...`, and
 * carry their own `got`, so `validateOptions` prints them after the option name as they are.
 */
const isGlobMap =
  (what: string, check: (value: unknown) => boolean): Check =>
  (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `must be an object of { "glob": ${what} }`
    const entries = Object.entries(value)
    if (entries.length > MAX_GLOBS) return `must have at most ${MAX_GLOBS} globs`
    for (const [glob, entry] of entries) {
      const problem = globProblem(glob)
      if (problem) return `[${quotedText(glob)}] is not a usable glob: it ${problem}`
      if (!check(entry)) return `[${quotedText(glob)}] must be ${what}, got ${describeValue(entry)}`
    }
    return null
  }
const isQuarantine: Check = (value) => {
  if (typeof value === 'boolean') return null
  if (!Array.isArray(value) || value.length === 0) return 'must be true, false or a non-empty array of path globs'
  if (value.length > MAX_GLOBS) return `must have at most ${MAX_GLOBS} globs`
  for (const [index, glob] of value.entries()) {
    if (typeof glob !== 'string') return `[${index}] must be a path glob, got ${describeValue(glob)}`
    const problem = globProblem(glob)
    if (problem) return `[${index}] is not a usable glob: it ${problem}, got ${describeValue(glob)}`
  }
  return null
}
const isFraction: Check = (value) => (typeof value === 'number' && value >= 0 && value <= 1 ? null : 'must be a number from 0 to 1')
const isDeadlines = isGlobMap('a duration like "30s", "500ms" or "2m"', (entry) => parseDuration(entry) !== null)
const isPriorities = isGlobMap(`one of ${PRIORITIES.join(', ')}`, (entry) => typeof entry === 'string' && (PRIORITIES as readonly string[]).includes(entry))

/** One validator per option; an option missing here is unknown. */
const CHECKS: Record<keyof FlakelineOptions, Check> = {
  dir: isNonEmptyString,
  historyLimit: isPositiveInteger(100_000),
  strict: isBoolean,
  enabled: isBoolean,
  maxMessageLength: isPositiveInteger(1_000_000),
  quiet: isBoolean,
  runId: isRunId,
  policy: isPolicy,
  deadlines: isDeadlines,
  priorities: isPriorities,
  seed: isSeed,
  workers: isPositiveInteger(1024),
  gitChanges: isBoolean,
  serve: isServe,
  hub: isHubUrl,
  token: isToken,
  shardPlan: isNonEmptyString,
  analysis: isBoolean,
  analysisTimeout: isPositiveInteger(600_000),
  flakyPlacement: (value) => (value === 'last' || value === 'first' || value === 'default' ? null : 'must be "last", "first" or "default"'),
  ci: (value) => (value === 'auto' || value === 'github' || value === 'none' ? null : 'must be "auto", "github" or "none"'),
  annotateFailures: (value) => (typeof value === 'boolean' || value === 'auto' ? null : 'must be true, false or "auto"'),
  quarantine: isQuarantine,
  quarantineMinConfidence: isFraction,
}

/** Environment variables and the option each sets; values are parsed before validation. */
export const ENVIRONMENT_OPTIONS: ReadonlyArray<readonly [string, keyof FlakelineOptions, 'string' | 'number' | 'fraction' | 'boolean']> = [
  ['FLAKELINE_DIR', 'dir', 'string'],
  ['FLAKELINE_HISTORY_LIMIT', 'historyLimit', 'number'],
  ['FLAKELINE_STRICT', 'strict', 'boolean'],
  ['FLAKELINE_ENABLED', 'enabled', 'boolean'],
  ['FLAKELINE_MAX_MESSAGE_LENGTH', 'maxMessageLength', 'number'],
  ['FLAKELINE_QUIET', 'quiet', 'boolean'],
  ['FLAKELINE_RUN_ID', 'runId', 'string'],
  ['FLAKELINE_POLICY', 'policy', 'string'],
  ['FLAKELINE_SEED', 'seed', 'number'],
  ['FLAKELINE_WORKERS', 'workers', 'number'],
  ['FLAKELINE_GIT_CHANGES', 'gitChanges', 'boolean'],
  ['FLAKELINE_HUB', 'hub', 'string'],
  ['FLAKELINE_TOKEN', 'token', 'string'],
  ['FLAKELINE_SHARD_PLAN', 'shardPlan', 'string'],
  ['FLAKELINE_ANALYSIS', 'analysis', 'boolean'],
  ['FLAKELINE_ANALYSIS_TIMEOUT', 'analysisTimeout', 'number'],
  ['FLAKELINE_FLAKY_PLACEMENT', 'flakyPlacement', 'string'],
  ['FLAKELINE_CI', 'ci', 'string'],
  ['FLAKELINE_ANNOTATE_FAILURES', 'annotateFailures', 'boolean'],
  ['FLAKELINE_QUARANTINE', 'quarantine', 'boolean'],
  ['FLAKELINE_QUARANTINE_MIN_CONFIDENCE', 'quarantineMinConfidence', 'fraction'],
]

/** A value as a problem shows it: strings quoted and bounded, functions not listed, objects named (a revoked proxy too). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return quotedText(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  try {
    return Array.isArray(value) ? 'an array' : 'an object'
  } catch {
    return 'an object'
  }
}

/** What a thrown value says, bounded: options can be objects whose getters or proxies throw anything. */
export function thrownReason(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : 'a value that is not an Error'
  return shownText(typeof text === 'string' ? text : 'an Error without a message', 200)
}

/** Options whose values are never echoed: a warning goes to CI logs, which a token must not reach. */
const SECRET_OPTIONS: ReadonlySet<string> = new Set(['token'])

function secretDescription(value: unknown): string {
  return typeof value === 'string' ? `a value of ${value.length} character${value.length === 1 ? '' : 's'} (not shown)` : describeValue(value)
}

/** A hub URL shown without the token a pasted dashboard link carries. */
function hubDescription(value: unknown): string {
  return typeof value === 'string' ? quotedText(shownHubUrl(value)) : describeValue(value)
}

/**
 * Validates one layer of options (`source` names it in messages). Returns the valid options and one
 * `FLAKELINE_E_CONFIG` error per invalid or unknown option; invalid options are left out so the
 * layer below (finally the default) applies.
 */
export function validateOptions(
  input: unknown,
  source: string,
  label: (key: string) => string = (key) => `${source}.${key}`,
): { options: Partial<FlakelineOptions>; problems: FlakelineError[] } {
  const problems: FlakelineError[] = []
  const options: Partial<FlakelineOptions> = {}
  if (input === undefined || input === null) return { options, problems }
  let entries: Array<[string, unknown]>
  try {
    if (typeof input !== 'object' || Array.isArray(input)) {
      problems.push(new FlakelineError(ErrorCodes.CONFIG, `${source} must be an object, got ${describeValue(input)}`))
      return { options, problems }
    }
    entries = Object.entries(input)
  } catch (error) {
    // A config module may export a proxy or an object whose getters throw.
    problems.push(new FlakelineError(ErrorCodes.CONFIG, `${source} cannot be read: ${thrownReason(error)}`, { cause: error }))
    return { options, problems }
  }
  for (const [key, value] of entries) {
    if (value === undefined) continue
    // Own keys only: `constructor` or `__proto__` in a config file are unknown options, not Object's.
    const check = Object.hasOwn(CHECKS, key) ? CHECKS[key as keyof FlakelineOptions] : undefined
    if (!check) {
      const known = Object.keys(CHECKS).join(', ')
      problems.push(new FlakelineError(ErrorCodes.CONFIG, `${source}: unknown option ${quotedText(key)} (known options: ${known})`))
      continue
    }
    let message: string | null
    try {
      message = check(value)
    } catch (error) {
      message = `cannot be read: ${thrownReason(error)}`
    }
    if (message) {
      // Entry problems (`["glob"] must ...`, `.port must ...`) already say what they got.
      const got = SECRET_OPTIONS.has(key) ? secretDescription(value) : key === 'hub' ? hubDescription(value) : describeValue(value)
      const text = message.startsWith('[') || message.startsWith('.') ? `${label(key)}${message}` : `${label(key)} ${message}, got ${got}`
      problems.push(new FlakelineError(ErrorCodes.CONFIG, text))
      continue
    }
    ;(options as Record<string, unknown>)[key] = value
  }
  return { options, problems }
}

/** Reads the `FLAKELINE_*` variables into an options layer; unparsable values become problems. */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv): { options: Partial<FlakelineOptions>; problems: FlakelineError[] } {
  const raw: Record<string, unknown> = {}
  const problems: FlakelineError[] = []
  for (const [name, key, type] of ENVIRONMENT_OPTIONS) {
    const text = env[name]
    if (text === undefined || text === '') continue
    if (type === 'string') raw[key] = text
    else if (type === 'number') raw[key] = /^\d+$/.test(text.trim()) ? Number(text) : text
    else if (type === 'fraction') raw[key] = /^(?:\d+\.?\d*|\.\d+)$/.test(text.trim()) ? Number(text) : text
    else {
      const lowered = text.trim().toLowerCase()
      if (['1', 'true', 'yes', 'on'].includes(lowered)) raw[key] = true
      else if (['0', 'false', 'no', 'off'].includes(lowered)) raw[key] = false
      else problems.push(new FlakelineError(ErrorCodes.CONFIG, `${name} must be true or false (or 1/0), got ${quotedText(text)}`))
    }
  }
  const names = new Map(ENVIRONMENT_OPTIONS.map(([name, key]) => [key as string, name]))
  const validated = validateOptions(raw, 'environment', (key) => names.get(key) ?? key)
  return { options: validated.options, problems: [...problems, ...validated.problems] }
}

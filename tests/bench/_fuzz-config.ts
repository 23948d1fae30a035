// Fuzz target: the config loader. Options come as any JavaScript value (reporter options, the
// sequencer's argument, a config module's export), as a flakeline.config.json file, or as FLAKELINE_*
// variables. The loader never throws for bad input: it returns one coded problem per bad option and
// keeps only options that can be used (globs that compile, hub URLs that parse).
import { mkdirSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { loadOptions } from '../../dist/src/config/load-options.js'
import { ENVIRONMENT_OPTIONS, optionsFromEnvironment, validateOptions } from '../../dist/src/config/options.js'
import { ErrorCodes } from '../../dist/src/errors.js'
import { compileGlob } from '../../dist/src/scheduling/glob.js'
import { POLICIES, PRIORITIES } from '../../dist/src/scheduling/plan-types.js'
import { parseHubUrl } from '../../dist/src/transport/hub-url.js'
import { check, codedAsync, coded, type FuzzTarget, type Refusal } from './_fuzz-harness.js'
import { Random, anyObject, anyValue, hostileNumber, hostileString, mutateText, plainValue, randomText, word } from './_fuzz-random.js'

const CODES = [ErrorCodes.CONFIG, ErrorCodes.CONFIG_FILE]
const OPTION_NAMES = ['dir', 'historyLimit', 'strict', 'enabled', 'maxMessageLength', 'quiet', 'runId', 'policy', 'deadlines', 'priorities', 'seed', 'workers', 'gitChanges', 'serve', 'hub', 'token', 'shardPlan', 'analysis', 'analysisTimeout', 'flakyPlacement', 'ci', 'annotateFailures', 'quarantine', 'quarantineMinConfidence']

function glob(r: Random): string {
  return r.pick(['tests/**', 'src/**/*.test.ts', '**/smoke/**', '{unit,e2e}/**', 'tests/[ab]*.ts', 'tests/[!x]?.js', `${word(r)}/*.spec.js`, 'a.test.ts'])
}

/** A glob that looks usable: braces and classes with random insides. */
function trickyGlob(r: Random): string {
  const inside = Array.from({ length: r.range(1, 4) }, () => r.pick(['a', 'z', '-', '!', '^', '\\', ']', '[', '.', '*', '/', '\u0000', 'é', '😀', '{', '}', ','])).join('')
  return r.pick([`[${inside}]`, `tests/[${inside}].ts`, `{${inside}}`, `{a,${inside}}/**`, `**/${inside}`, `[z-a]`, `[\\]`, `[!]`, `[]`])
}

/** Options a user could write, every one valid. */
function validOptions(r: Random): Record<string, unknown> {
  const all: Record<string, () => unknown> = {
    dir: () => r.pick(['.flakeline', 'tmp/store', '/tmp/flakeline-store']),
    historyLimit: () => r.range(1, 100_000),
    strict: () => r.chance(0.5),
    enabled: () => r.chance(0.5),
    maxMessageLength: () => r.range(1, 1_000_000),
    quiet: () => r.chance(0.5),
    runId: () => `${word(r)}.${r.int(99)}:${word(r)}`,
    policy: () => r.pick(POLICIES),
    deadlines: () => Object.fromEntries(Array.from({ length: r.size(4) }, () => [glob(r), r.pick(['30s', '1.5s', '500ms', '2m', '1h', 20_000])])),
    priorities: () => Object.fromEntries(Array.from({ length: r.size(4) }, () => [glob(r), r.pick(PRIORITIES)])),
    seed: () => r.int(2 ** 32),
    workers: () => r.range(1, 1024),
    gitChanges: () => r.chance(0.5),
    serve: () => r.pick([true, false, 0, 7357, { port: 0, host: '127.0.0.1', keepAlive: false }, { quicPort: 7358 }]),
    hub: () => r.pick(['ws://127.0.0.1:7357', 'wss://hub.example:443/live', `quic://127.0.0.1:7358?fingerprint=${'ab'.repeat(32)}`]),
    token: () => `${word(r, 16, 24)}${r.int(1000)}`,
    shardPlan: () => 'shard-plan.json',
    analysis: () => r.chance(0.5),
    analysisTimeout: () => r.range(1, 600_000),
    flakyPlacement: () => r.pick(['last', 'first', 'default']),
    ci: () => r.pick(['auto', 'github', 'none']),
    annotateFailures: () => r.pick([true, false, 'auto']),
    quarantine: () => (r.chance(0.5) ? r.chance(0.5) : [glob(r), glob(r)]),
    quarantineMinConfidence: () => r.next(),
  }
  const options: Record<string, unknown> = {}
  for (const name of OPTION_NAMES) if (r.chance(0.3)) options[name] = all[name]!()
  return options
}

/** Options with one or more made hostile: wrong types, hostile strings, tricky globs, readers that throw. */
function hostileOptions(r: Random): unknown {
  const roll = r.int(6)
  if (roll === 0) return anyValue(r)
  if (roll === 1) return anyObject(r, 0, OPTION_NAMES)
  const options = validOptions(r)
  for (let n = r.range(1, 3); n > 0; n--) {
    const name = r.chance(0.9) ? r.pick(OPTION_NAMES) : hostileString(r)
    const value =
      (name === 'deadlines' || name === 'priorities') && r.chance(0.6)
        ? { [r.chance(0.5) ? trickyGlob(r) : hostileString(r)]: r.chance(0.5) ? '30s' : anyValue(r) }
        : name === 'quarantine' && r.chance(0.6)
          ? [r.chance(0.5) ? trickyGlob(r) : hostileString(r)]
          : r.chance(0.5)
            ? hostileString(r)
            : anyValue(r)
    Object.defineProperty(options, name, { value, enumerable: true, configurable: true, writable: true })
  }
  return options
}

/** Whatever validation accepted can be used: it validates again to itself, its globs compile, its hub URL parses. */
function checkAccepted(options: Record<string, unknown>, where: string): void {
  const again = validateOptions(options, 'again')
  check(again.problems.length === 0, () => `${where}: accepted options fail validation again: ${again.problems[0]?.message}`)
  const globs = [...Object.keys((options.deadlines as object | undefined) ?? {}), ...Object.keys((options.priorities as object | undefined) ?? {}), ...(Array.isArray(options.quarantine) ? (options.quarantine as string[]) : [])]
  for (const source of globs) {
    const compiled = coded([], `compileGlob of an accepted glob`, () => compileGlob(source))
    check('value' in compiled, `${where}: accepted a glob that does not compile`)
  }
  if (typeof options.hub === 'string') {
    const parsed = coded(CODES, 'parseHubUrl of an accepted hub', () => parseHubUrl(options.hub as string))
    check('value' in parsed, `${where}: accepted a hub URL that does not parse`)
  }
}

/** Every problem must be a coded FlakelineError whose message is bounded and escaped. */
function checkProblems(problems: readonly unknown[], where: string): string | null {
  let first: string | null = null
  for (const problem of problems) {
    const refused = coded(CODES, where, () => {
      throw problem
    }) as Refusal
    first ??= refused.code
  }
  return first
}

function validate(input: unknown): string {
  const result = coded([], 'validateOptions', () => validateOptions(input, 'options'))
  if (!('value' in result)) return 'ok'
  const code = checkProblems(result.value.problems, 'a problem from validateOptions')
  checkAccepted(result.value.options as Record<string, unknown>, 'validateOptions')
  return code ?? 'ok'
}

function environment(r: Random): Record<string, string> {
  const env: Record<string, string> = {}
  for (let n = r.range(1, 4); n > 0; n--) {
    const [name] = r.pick(ENVIRONMENT_OPTIONS)
    env[name] = r.chance(0.4) ? r.pick(['1', '0', 'true', 'off', ' yes ', '200', '0.5', '.5', '1.', '-1', '1e3', '007', '99999999999999999999', '', ' ']) : hostileString(r)
  }
  return env
}

/** What a JSON file can say for an option: any JSON value, hostile strings and numbers, tricky globs. */
function jsonValue(r: Random): unknown {
  return r.pick([() => plainValue(r), () => hostileString(r), () => hostileNumber(r), () => ({ [trickyGlob(r)]: '30s' }), () => [trickyGlob(r)], () => null])()
}

/** A config file's text: valid JSON, mutated JSON, hostile JSON or random bytes. */
function configText(r: Random): string {
  const roll = r.int(6)
  const options = validOptions(r)
  if (r.chance(0.5)) options[r.chance(0.9) ? r.pick(OPTION_NAMES) : hostileString(r)] = jsonValue(r)
  const json = JSON.stringify(options)
  if (roll === 0) return randomText(r, r.size(300))
  if (roll === 1) return mutateText(r, json)
  if (roll === 2) {
    const depth = r.chance(0.95) ? r.pick([100, 10_000]) : 100_000
    return r.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"strict":'.repeat(depth)}true${'}'.repeat(depth)}`
  }
  if (roll === 3) return `{"__proto__": {"strict": true}, "constructor": {"prototype": {"polluted": 1}}, ${json.slice(1)}`
  return json
}

/** Config modules: exports that throw, lie or are not options at all. */
const MODULES = [
  'export default { get historyLimit() { throw new Error("getter") } }',
  'export default new Proxy({}, { ownKeys() { throw new Error("ownKeys") } })',
  'const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); export default proxy',
  'export default 42',
  'export default function options() {}',
  'export const historyLimit = 5; export const strict = "yes"',
  'throw new Error("a config that throws")',
  'export default {',
  'export default { historyLimit: 10, deadlines: { "[z-a]": "1s" } }',
  'export default { then() {} }',
  'export default { then(resolve) { resolve(5) }, strict: true }',
]

let scratch: string | null = null
let modules = 0

async function load(r: Random): Promise<string> {
  let root = join(scratch!, 'json-root')
  if (r.chance(0.005)) {
    root = join(scratch!, `module-${modules++}`)
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'flakeline.config.mjs'), r.pick(MODULES))
  } else {
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'flakeline.config.json'), configText(r))
  }
  const inline = r.chance(0.5) ? hostileOptions(r) : undefined
  const loaded = await codedAsync([], 'loadOptions', () => loadOptions(root, inline, environment(r)))
  if (!('value' in loaded)) return 'ok'
  const { options, problems } = loaded.value
  const code = checkProblems(problems, 'a problem from loadOptions')
  check(isAbsolute(options.dir) && options.root === root, 'loadOptions resolved no absolute store directory')
  const { root: _root, configFile: _file, ...rest } = options
  checkAccepted(rest as Record<string, unknown>, 'loadOptions')
  return code ?? 'ok'
}

export function configTarget(dir: () => string): FuzzTarget {
  return {
    name: 'config',
    what: 'validateOptions of any JavaScript value, optionsFromEnvironment, loadOptions with flakeline.config.json (and .mjs) files',
    codes: CODES,
    async run(r) {
      scratch ??= dir()
      const roll = r.int(20)
      if (roll < 3) {
        // A valid config is accepted whole, in memory and from a file.
        const options = validOptions(r)
        const result = validateOptions(options, 'options')
        check(result.problems.length === 0, () => `a valid option was refused: ${result.problems[0]?.message}`)
        check(JSON.stringify(result.options) === JSON.stringify(options), 'validateOptions changed valid options')
        if (roll === 0) {
          const root = join(scratch, 'valid-root')
          mkdirSync(root, { recursive: true })
          writeFileSync(join(root, 'flakeline.config.json'), JSON.stringify(options))
          const loaded = await loadOptions(root, undefined, {})
          check(loaded.problems.length === 0, () => `a valid config file was refused: ${loaded.problems[0]?.message}`)
          for (const [name, value] of Object.entries(options)) {
            const expected = name === 'dir' || name === 'shardPlan' ? resolve(root, value as string) : value
            check(JSON.stringify((loaded.options as unknown as Record<string, unknown>)[name]) === JSON.stringify(expected), `a valid config file gave another ${name}`)
          }
        }
        return 'ok'
      }
      if (roll < 13) return validate(hostileOptions(r))
      if (roll < 17) {
        const result = coded([], 'optionsFromEnvironment', () => optionsFromEnvironment(environment(r)))
        if (!('value' in result)) return 'ok'
        const code = checkProblems(result.value.problems, 'a problem from optionsFromEnvironment')
        checkAccepted(result.value.options as Record<string, unknown>, 'optionsFromEnvironment')
        return code ?? 'ok'
      }
      return load(r)
    },
  }
}

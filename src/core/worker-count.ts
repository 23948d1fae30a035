import { availableParallelism } from 'node:os'

/**
 * How many workers the runner runs files on: the one definition the recorder, the plan and the CLI
 * use. Each function mirrors the runner's own resolution (checked against Vitest 3.2 and 4.1's
 * `resolveMaxWorkers`/pool setup and Jest 29/30's `maxWorkers` and run-in-band choice).
 */
export interface WorkerCount {
  workers: number
  /** Where the number came from, for the one notice when it is a guess. */
  source: 'option' | 'runner' | 'default'
}

function cores(): number {
  return availableParallelism()
}

/** The part of Vitest's resolved config that decides its worker count. */
export interface VitestWorkerConfig {
  maxWorkers?: number | string
  fileParallelism?: boolean
  watch?: boolean
  pool?: string
  poolOptions?: Record<string, { maxForks?: number | string; maxThreads?: number | string; singleFork?: boolean; singleThread?: boolean } | undefined>
}

function inline(value: number | string | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(1, Math.floor(value))
  if (typeof value === 'string' && /^\d+(\.\d+)?%$/.test(value)) return Math.max(1, Math.min(cores(), Math.round((Number.parseFloat(value) / 100) * cores())))
  if (typeof value === 'string' && /^\d+$/.test(value)) return Math.max(1, Number(value))
  return undefined
}

/**
 * Vitest: no file parallelism → 1 (Vitest sets maxWorkers to 1 itself); Vitest 3's
 * `poolOptions.<pool>.maxForks|maxThreads` or `singleFork|singleThread`; `maxWorkers` (a number or
 * a percentage of the cores); else cores − 1 in a run and half the cores in watch mode.
 */
export function vitestWorkers(config: VitestWorkerConfig): WorkerCount {
  if (config.fileParallelism === false) return { workers: 1, source: 'runner' }
  const pool = config.poolOptions?.[config.pool ?? 'forks']
  if (pool?.singleFork || pool?.singleThread) return { workers: 1, source: 'runner' }
  const set = inline(pool?.maxForks ?? pool?.maxThreads) ?? inline(config.maxWorkers)
  if (set !== undefined) return { workers: set, source: 'runner' }
  return { workers: config.watch ? Math.max(Math.floor(cores() / 2), 1) : Math.max(cores() - 1, 1), source: 'runner' }
}

/** The part of Jest's global config that decides its worker count. */
export interface JestWorkerConfig {
  maxWorkers?: number
  runInBand?: boolean
  watch?: boolean
  watchAll?: boolean
}

/**
 * Jest's worker count from `--maxWorkers`/`-w` and `--runInBand`/`-i` on its command line, for Jest 29,
 * which constructs sequencers without its config. Null when the command line does not say.
 */
export function jestWorkersFromArgv(argv: readonly string[]): number | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--runInBand' || arg === '-i' || arg === '--runInBand=true') return 1
    const value = /^--max-?[wW]orkers=(.+)$/.exec(arg)?.[1] ?? (arg === '--maxWorkers' || arg === '--max-workers' || arg === '-w' ? argv[i + 1] : undefined)
    if (value !== undefined) return inline(value) ?? null
  }
  return null
}

/**
 * Jest: `--runInBand` → 1; else its resolved `maxWorkers` (Jest 30 gives it to the sequencer, both give
 * it to reporters); Jest 29's sequencer reads the command line, else assumes Jest's default (cores − 1,
 * half the cores in watch mode) and says so. Jest may still run in band on its own for a few fast
 * files; the reporter records that (`ranInBand`), so history keeps the count that really ran.
 */
export function jestWorkers(config: JestWorkerConfig | undefined, argv: readonly string[] = process.argv, ranInBand = false): WorkerCount {
  if (ranInBand || config?.runInBand) return { workers: 1, source: 'runner' }
  if (config?.maxWorkers !== undefined) return { workers: Math.max(1, config.maxWorkers), source: 'runner' }
  const fromArgv = jestWorkersFromArgv(argv)
  if (fromArgv !== null) return { workers: fromArgv, source: 'runner' }
  return { workers: config?.watch || config?.watchAll ? Math.max(Math.floor(cores() / 2), 1) : Math.max(cores() - 1, 1), source: 'default' }
}

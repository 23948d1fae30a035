import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ResourceLimits } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { _checkAnalyseOptions, type AnalyseOptions, type SeriesAnalysis, type SeriesInput } from './analyse-series.js'
import { decodeAnalysis, packChunk, type ChunkResult } from './analysis-task.js'
import { ErrorCodes, FlakelineError, inputError } from './errors.js'
import type { ErrorCode } from '../errors.js'
import { checkSeries } from './series-input.js'
import { _checkGrid, type FailureEdge, type FailureGrid } from './failure-edges.js'
import { _checkPacked, type HistoryMeasures, type PackedHistories } from './history-signals.js'
import { decodeEdges, decodeMeasures, historyChunk, sharedHistories, type EdgeTask } from './history-task.js'

/** Options of {@link AnalysisPool}. */
export interface AnalysisPoolOptions {
  /** Worker threads at most. Default: `os.availableParallelism()`. */
  threads?: number
  /** Milliseconds an idle extra worker lives before it exits. Default 1000. */
  idleTimeout?: number
  /** Milliseconds `close()` waits for running work before terminating workers. Default 5000. */
  closeTimeout?: number
  /** The kernels.wasm the workers load. Default: the one built into the package. */
  wasmPath?: string
  /** Per-worker V8 limits (see `worker_threads`); a worker that exceeds them crashes. */
  resourceLimits?: ResourceLimits
}

const DEFAULTS = { idleTimeout: 1_000, closeTimeout: 5_000 } as const

// The compiled worker beside this module (the package), the built one when this module runs
// from sources (tests: worker threads cannot run TypeScript), or from a CommonJS bundle in dist/cjs.
const WORKER_CANDIDATES = ['./analysis-worker.js', '../../dist/src/analysis/analysis-worker.js', '../src/analysis/analysis-worker.js']

// Several chunks per thread so a slow chunk does not leave the other threads idle at the end.
const CHUNKS_PER_THREAD = 4

function workerFile(): string {
  const tried = WORKER_CANDIDATES.map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  const found = tried.find((path) => existsSync(path))
  if (!found) throw new FlakelineError(ErrorCodes.ANALYSIS_WORKER, `the analysis worker is missing; run the package build. Looked in: ${tried.join(', ')}`)
  return found
}

function positive(options: AnalysisPoolOptions, name: 'threads' | 'idleTimeout' | 'closeTimeout', integer: boolean, min: number): void {
  const value = options[name]
  if (value === undefined) return
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (integer && !Number.isInteger(value)) || value === Infinity) {
    throw inputError(`options.${name} must be ${integer ? 'an integer' : 'a number of milliseconds'} >= ${min} (got ${String(value)})`)
  }
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes))

/** One task for a worker and what to do with its answer. */
interface Job {
  task: object
  transfer: ArrayBuffer[]
  /** The worker module's export that runs it. */
  name: string
  accept(result: Float64Array): void
}

interface Call {
  fail(error: FlakelineError): void
  /** Shared with the call's chunks: set to 1 to make workers skip what is left. */
  cancel: Int32Array
}

/**
 * Analyses batches of per-test series off the main thread: piscina worker threads each load
 * the WebAssembly kernels once and run {@link analyseSeries} over packed chunks of the batch.
 * Workers start on the first batch; idle ones are unref'd (they never keep the process alive)
 * and extra ones exit after `idleTimeout`.
 *
 * Errors reject with a stable code: `FLAKELINE_E_ANALYSIS_INPUT` (bad series or options),
 * `FLAKELINE_E_ANALYSIS_WASM` (kernels missing or invalid), `FLAKELINE_E_ANALYSIS_WORKER`
 * (a worker crashed or could not start), `FLAKELINE_E_ANALYSIS_CLOSED` (used after close, or
 * closed mid-batch). A failed batch stops its remaining chunks.
 *
 * @example
 * const pool = new AnalysisPool()
 * try {
 *   const results = await pool.analyse([{ id: 'cart > adds', durations }], { reference: baseline })
 * } finally {
 *   await pool.close()
 * }
 */
export class AnalysisPool {
  /** Maximum worker threads. */
  readonly threads: number
  private readonly idleTimeout: number
  private readonly closeTimeout: number
  private readonly wasmPath: string | undefined
  private readonly resourceLimits: ResourceLimits | undefined
  private readonly filename: string
  private readonly calls = new Set<Call>()
  private piscina: Piscina | undefined
  private closing: Promise<void> | undefined

  constructor(options: AnalysisPoolOptions = {}) {
    if (typeof options !== 'object' || options === null) throw inputError('options must be an object')
    positive(options, 'threads', true, 1)
    positive(options, 'idleTimeout', false, 0)
    positive(options, 'closeTimeout', false, 0)
    if (options.wasmPath !== undefined && typeof options.wasmPath !== 'string') throw inputError('options.wasmPath must be a file path')
    this.threads = options.threads ?? availableParallelism()
    this.idleTimeout = options.idleTimeout ?? DEFAULTS.idleTimeout
    this.closeTimeout = options.closeTimeout ?? DEFAULTS.closeTimeout
    this.wasmPath = options.wasmPath
    this.resourceLimits = options.resourceLimits
    this.filename = workerFile()
  }

  private start(): Piscina {
    if (this.piscina) return this.piscina
    const piscina = new Piscina({
      filename: this.filename,
      maxThreads: this.threads,
      // One thread stays (unref'd) so a crashed worker is replaced and queued chunks still run.
      minThreads: 1,
      idleTimeout: this.idleTimeout,
      closeTimeout: this.closeTimeout,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    })
    // Piscina reports a worker that dies outside any task (for example while starting) as an
    // 'error' event, and does not replace a worker that failed while starting. With no worker
    // left, queued chunks would wait forever: fail their batches instead.
    piscina.on('error', (error: unknown) => {
      if (piscina.threads.length > 0) return
      const failure = new FlakelineError(ErrorCodes.ANALYSIS_WORKER, `an analysis worker failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      for (const call of [...this.calls]) call.fail(failure)
    })
    this.piscina = piscina
    return piscina
  }

  /**
   * Analyses every series of `batch` (see {@link analyseSeries}); results come back in batch
   * order. An empty batch resolves to `[]` without starting workers.
   */
  async analyse(batch: readonly SeriesInput[], options: AnalyseOptions): Promise<SeriesAnalysis[]> {
    if (this.closing) throw new FlakelineError(ErrorCodes.ANALYSIS_CLOSED, 'the analysis pool is closed')
    if (!Array.isArray(batch)) throw inputError('batch must be an array of { id, durations, outcomes? }')
    _checkAnalyseOptions(options)
    batch.forEach((item: unknown, i) => {
      if (typeof item !== 'object' || item === null) throw inputError(`batch[${i}] must be an object { id, durations, outcomes? }`)
      const { durations, outcomes } = item as SeriesInput
      checkSeries(durations, `batch[${i}].durations`)
      if (outcomes !== undefined) checkSeries(outcomes, `batch[${i}].outcomes`)
    })
    if (batch.length === 0) return []
    const results = new Array<SeriesAnalysis>(batch.length)
    await this.dispatch((cancel) =>
      chunkRanges(batch.map((item) => item.durations.length), this.threads * CHUNKS_PER_THREAD).map(([from, to]) => ({
        ...packChunk(batch, from, to, options, this.wasmPath, cancel),
        name: 'default',
        accept: (result: Float64Array) => {
          for (let k = 0; k < to - from; k++) results[from + k] = decodeAnalysis(batch[from + k]!.id, result, k)
        },
      })),
    )
    return results
  }

  /**
   * Measures packed test histories (see {@link HistoryMeasures}) and, given a failure grid, the
   * edges between tests that fail in the same runs: one call, its chunks and the edge task
   * spread over the workers together. Results come back in history order.
   */
  async measureHistories(histories: PackedHistories, options: { clusters?: FailureGrid } = {}): Promise<{ measures: HistoryMeasures[]; edges: FailureEdge[] }> {
    if (this.closing) throw new FlakelineError(ErrorCodes.ANALYSIS_CLOSED, 'the analysis pool is closed')
    _checkPacked(histories)
    if (options.clusters !== undefined) _checkGrid(options.clusters)
    const count = histories.starts.length
    const measures = new Array<HistoryMeasures>(count)
    let edges: FailureEdge[] = []
    const sizes = Array.from({ length: count }, (_, k) => histories.ends[k]! - histories.starts[k]!)
    const grid = options.clusters
    if (count === 0 && (grid === undefined || grid.positions.length === 0)) return { measures, edges }
    const shared = sharedHistories(histories)
    await this.dispatch((cancel) => {
      const jobs: Job[] = chunkRanges(sizes, this.threads * CHUNKS_PER_THREAD).map(([from, to]) => ({
        ...historyChunk(shared, from, to, this.wasmPath, cancel),
        name: 'measureHistories',
        accept: (result: Float64Array) => {
          for (let k = 0; k < to - from; k++) measures[from + k] = decodeMeasures(result, k)
        },
      }))
      if (grid !== undefined && grid.positions.length > 0) {
        const task: EdgeTask = { wasmPath: this.wasmPath, grid: { offsets: grid.offsets.slice(), positions: grid.positions.slice(), length: grid.length }, cancel }
        // The edge task goes first: it is one piece of work that the chunks can run beside.
        jobs.unshift({ task, transfer: [task.grid.offsets.buffer as ArrayBuffer, task.grid.positions.buffer as ArrayBuffer], name: 'failureEdges', accept: (result) => (edges = decodeEdges(result)) })
      }
      return jobs
    })
    return { measures, edges }
  }

  /** Runs the jobs on the workers; resolves when all are accepted, rejects on the first failure. */
  private async dispatch(build: (cancel: Int32Array) => Job[]): Promise<void> {
    const piscina = this.start()
    await new Promise<void>((resolve, reject) => {
      // Cancelling through shared memory rather than piscina's AbortSignal: aborting a running
      // task terminates its worker, whose late answer piscina then reports as an error.
      const cancel = new Int32Array(new SharedArrayBuffer(4))
      const jobs = build(cancel)
      let pending = jobs.length
      let settled = false
      const call: Call = {
        cancel,
        fail: (error) => {
          if (settled) return
          settled = true
          this.calls.delete(call)
          Atomics.store(call.cancel, 0, 1)
          reject(error)
        },
      }
      this.calls.add(call)
      if (pending === 0) {
        settled = true
        this.calls.delete(call)
        return resolve()
      }
      for (const job of jobs) {
        const run = piscina.run(job.task, { transferList: job.transfer, name: job.name }) as Promise<ChunkResult>
        run.then(
          (result) => {
            if (settled) return
            if (!(result instanceof Float64Array)) return call.fail(workerReportedError(result))
            job.accept(result)
            if (--pending === 0) {
              settled = true
              this.calls.delete(call)
              resolve()
            }
          },
          (error: unknown) => call.fail(this.taskFailure(error)),
        )
      }
    })
  }

  private taskFailure(error: unknown): FlakelineError {
    const detail = error instanceof Error ? error.message : String(error)
    if (this.closing) return new FlakelineError(ErrorCodes.ANALYSIS_CLOSED, `the analysis pool closed while a batch was in flight (${detail})`, { cause: error })
    return new FlakelineError(ErrorCodes.ANALYSIS_WORKER, `an analysis worker failed: ${detail}`, { cause: error })
  }

  /**
   * Stops the workers: batches in flight reject with `FLAKELINE_E_ANALYSIS_CLOSED` and their
   * chunks stop at the next series; workers get up to `closeTimeout` ms to finish, then every
   * worker is terminated.
   * Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown())
  }

  private async shutdown(): Promise<void> {
    const piscina = this.piscina
    if (!piscina) return
    // Running chunks stop at their next series; their batches reject as closed.
    for (const call of [...this.calls]) call.fail(new FlakelineError(ErrorCodes.ANALYSIS_CLOSED, 'the analysis pool closed while a batch was in flight'))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.closeTimeout)
    })
    try {
      await Promise.race([piscina.close({ force: true }).catch(() => undefined), timeout])
    } finally {
      clearTimeout(timer)
      await piscina.destroy().catch(() => undefined)
    }
  }
}

function workerReportedError(result: unknown): FlakelineError {
  const error = (result as { error?: { code?: unknown; message?: unknown } } | null)?.error
  if (error && typeof error.code === 'string' && KNOWN_CODES.has(error.code)) {
    return new FlakelineError(error.code as ErrorCode, String(error.message))
  }
  return new FlakelineError(ErrorCodes.ANALYSIS_WORKER, 'an analysis worker returned an unexpected result')
}

/** Splits items of the given sizes into up to `chunks` contiguous ranges of about equal total size. */
function chunkRanges(sizes: readonly number[], chunks: number): [number, number][] {
  let total = 0
  for (const size of sizes) total += size + 1
  const target = total / Math.min(chunks, sizes.length)
  const ranges: [number, number][] = []
  let from = 0
  let size = 0
  for (let i = 0; i < sizes.length; i++) {
    size += sizes[i]! + 1
    if (size >= target || i === sizes.length - 1) {
      ranges.push([from, i + 1])
      from = i + 1
      size = 0
    }
  }
  return ranges
}

// The fuzz benchmark's harness: runs each target's cases in a worker thread under a watchdog, so a
// hang, a crash or memory exhaustion is a finding (with the case that caused it) instead of the end
// of the benchmark, and tallies what every case did.
import { performance } from 'node:perf_hooks'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { ErrorCodes, FlakelineError } from '../../dist/src/errors.js'
import { Random, mix, nameHash } from './_fuzz-random.js'

/** What one case did with its input: accepted it (`ok`) or refused it with a code. */
export type CaseOutcome = 'ok' | string

/** One fuzz target: a name, the codes its refusals carry, and a case drawn from a generator. */
export interface FuzzTarget {
  name: string
  /** What the cases exercise, for the report. */
  what: string
  /** The codes a refusal may carry; any other error is a finding. */
  codes: readonly string[]
  run(r: Random, index: number): CaseOutcome | Promise<CaseOutcome>
}

/** Something the fuzzer found: an uncoded exception, a broken property, a slow or hung case, a crash, memory. */
export class Finding extends Error {
  constructor(
    readonly kind: 'uncoded' | 'property' | 'message' | 'slow' | 'hang' | 'crash' | 'memory',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes))
/** A refusal's message goes to a terminal or a CI log as is: it must be short and hold no control characters. */
const MAX_MESSAGE_CHARS = 1_000
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  const line = text.split('\n')[0]!
  return JSON.stringify(line.length > 160 ? `${line.slice(0, 157)}...` : line).slice(1, -1)
}

/** A step refusing its input with a coded error. */
export interface Refusal {
  code: string
  message: string
}

/**
 * Runs one step of a case. A FlakelineError with a code from `codes` is the step refusing its input:
 * its code is returned. Anything else thrown is a finding, named after the step.
 */
export function coded<T>(codes: readonly string[], step: string, body: () => T): { value: T } | Refusal {
  try {
    return { value: body() }
  } catch (error) {
    return refusal(codes, step, error)
  }
}

/** `coded` for a step that returns a promise. */
export async function codedAsync<T>(codes: readonly string[], step: string, body: () => Promise<T>): Promise<{ value: T } | Refusal> {
  try {
    return { value: await body() }
  } catch (error) {
    return refusal(codes, step, error)
  }
}

function refusal(codes: readonly string[], step: string, error: unknown): Refusal {
  if (error instanceof Finding) throw error
  if (!(error instanceof FlakelineError) || !CODES.has(error.code) || !codes.includes(error.code)) {
    throw new Finding('uncoded', `${step}: ${firstLine(error)}`, { cause: error })
  }
  if (error.message.length > MAX_MESSAGE_CHARS) throw new Finding('message', `${step}: a ${error.code} message of ${error.message.length} characters: ${firstLine(error)}`)
  if (CONTROL.test(error.message)) throw new Finding('message', `${step}: a ${error.code} message with a raw control character: ${firstLine(error)}`)
  return { code: error.code, message: error.message }
}

/** A property that must hold for every input; a finding when it does not. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new Finding('property', typeof message === 'string' ? message : message())
}

/** Counts of one target's run, added up across worker restarts. */
interface Tally {
  cases: number
  ok: number
  codes: Record<string, number>
  findings: Array<{ kind: string; message: string; index: number; count: number }>
  slowestMs: number
  slowestIndex: number
  peakHeapMb: number
  peakExternalMb: number
  peakRssMb: number
  heapGrowthMb: number
}

function emptyTally(): Tally {
  return { cases: 0, ok: 0, codes: {}, findings: [], slowestMs: 0, slowestIndex: -1, peakHeapMb: 0, peakExternalMb: 0, peakRssMb: 0, heapGrowthMb: 0 }
}

/** What tells findings apart: kind and message, without the quoted input and numbers that vary from case to case. */
function signatureOf(kind: string, message: string): string {
  return `${kind} ${message.replace(/\\?"(?:[^"\\]|\\[^"])*\\?"|'[^']*'/g, '…').replace(/\d+/g, '#').slice(0, 90)}`
}

/** Findings are grouped by signature: one line per distinct problem, with how often and the first case. */
function addFinding(tally: Tally, kind: string, message: string, index: number, count = 1): void {
  const signature = signatureOf(kind, message)
  const known = tally.findings.find((finding) => signatureOf(finding.kind, finding.message) === signature)
  if (known) {
    known.count += count
    known.index = Math.min(known.index, index)
  } else if (tally.findings.length < 40) tally.findings.push({ kind, message, index, count })
}

function merge(into: Tally, from: Tally): void {
  into.cases += from.cases
  into.ok += from.ok
  for (const [code, count] of Object.entries(from.codes)) into.codes[code] = (into.codes[code] ?? 0) + count
  for (const finding of from.findings) addFinding(into, finding.kind, finding.message, finding.index, finding.count)
  if (from.slowestMs > into.slowestMs) [into.slowestMs, into.slowestIndex] = [from.slowestMs, from.slowestIndex]
  into.peakHeapMb = Math.max(into.peakHeapMb, from.peakHeapMb)
  into.peakExternalMb = Math.max(into.peakExternalMb, from.peakExternalMb)
  into.peakRssMb = Math.max(into.peakRssMb, from.peakRssMb)
  into.heapGrowthMb = Math.max(into.heapGrowthMb, from.heapGrowthMb)
}

export interface FuzzSettings {
  seed: number
  cases: number
  /** A case slower than this is a finding. */
  slowMs: number
  /** A case still running after this long is a hang: the worker is stopped and the next case goes on. */
  hangMs: number
  /** Heap a worker may use; more is a finding (and past it V8 stops the worker). */
  heapLimitMb: number
  /** Resident memory of the whole process; more is a finding. */
  rssLimitMb: number
  /** Heap still held after the last case and a full GC, over what was held before the first. */
  leakLimitMb: number
}

export function caseSeed(seed: number, target: string, index: number): number {
  return mix(seed, nameHash(target), index)
}

const MB = 1024 * 1024
const FLUSH_EVERY = 1_000
const SAMPLE_EVERY = 64

interface WorkerJob {
  target: string
  settings: FuzzSettings
  from: number
  skip: number[]
  progress: SharedArrayBuffer
}

/**
 * The worker side: runs cases `from`..`settings.cases` of one target, publishing the case it is in
 * (and when it started) to `progress` for the watchdog, and its tally every thousand cases.
 */
async function runWorker(targets: readonly FuzzTarget[]): Promise<void> {
  const job = workerData as WorkerJob
  const target = targets.find((candidate) => candidate.name === job.target)!
  const progress = new Float64Array(job.progress)
  const skip = new Set(job.skip)
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const baseline = process.memoryUsage().heapUsed
  let tally = emptyTally()
  const sample = (): void => {
    const usage = process.memoryUsage()
    tally.peakHeapMb = Math.max(tally.peakHeapMb, usage.heapUsed / MB)
    tally.peakExternalMb = Math.max(tally.peakExternalMb, (usage.external + usage.arrayBuffers) / MB)
    tally.peakRssMb = Math.max(tally.peakRssMb, usage.rss / MB)
  }
  for (let index = job.from; index < job.settings.cases; index++) {
    if (!skip.has(index)) {
      progress[0] = index
      progress[1] = Date.now()
      const started = performance.now()
      await runCase(target, job.settings, index, tally)
      const ms = performance.now() - started
      if (ms > tally.slowestMs) [tally.slowestMs, tally.slowestIndex] = [ms, index]
      if (ms > job.settings.slowMs) addFinding(tally, 'slow', `a case took ${Math.round(ms)} ms (bound ${job.settings.slowMs} ms)`, index)
      if (index % SAMPLE_EVERY === 0 || ms > 50) sample()
    }
    if ((index + 1) % FLUSH_EVERY === 0) {
      parentPort!.postMessage({ type: 'tally', tally, next: index + 1 })
      tally = emptyTally()
    }
  }
  sample()
  gc?.()
  tally.heapGrowthMb = Math.max(0, (process.memoryUsage().heapUsed - baseline) / MB)
  parentPort!.postMessage({ type: 'done', tally })
}

async function runCase(target: FuzzTarget, settings: FuzzSettings, index: number, tally: Tally): Promise<void> {
  tally.cases++
  try {
    const outcome = await target.run(new Random(caseSeed(settings.seed, target.name, index)), index)
    if (outcome === 'ok') tally.ok++
    else tally.codes[outcome] = (tally.codes[outcome] ?? 0) + 1
  } catch (error) {
    if (error instanceof Finding) addFinding(tally, error.kind, error.message, index)
    else addFinding(tally, 'uncoded', `escaped the case: ${firstLine(error)}`, index)
  }
}

/** Runs one target in workers until every case ran, restarting past a case that hung or crashed. */
async function runTarget(file: URL, target: FuzzTarget, settings: FuzzSettings): Promise<{ tally: Tally; seconds: number }> {
  const total = emptyTally()
  const skip: number[] = []
  let from = 0
  const started = performance.now()
  while (from < settings.cases) {
    const progress = new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT)
    const view = new Float64Array(progress)
    view[0] = from
    view[1] = Date.now()
    const job: WorkerJob = { target: target.name, settings, from, skip, progress }
    const worker = new Worker(file, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: settings.heapLimitMb } })
    type Ended = { next: number; stopped?: 'hang' | 'crash' | 'memory'; index?: number; detail?: string }
    const ended = await new Promise<Ended>((resolve) => {
      let next = from
      let settled = false
      const finish = (value: Ended): void => {
        if (settled) return
        settled = true
        clearInterval(watchdog)
        resolve(value)
      }
      const watchdog = setInterval(() => {
        total.peakRssMb = Math.max(total.peakRssMb, process.memoryUsage.rss() / MB)
        const running = Date.now() - view[1]!
        if (running > settings.hangMs) {
          finish({ next, stopped: 'hang', index: view[0]!, detail: `no answer after ${Math.round(running / 1000)} s` })
          void worker.terminate()
        }
      }, 250)
      worker.on('message', (message: { type: 'tally' | 'done'; tally: Tally; next?: number }) => {
        merge(total, message.tally)
        if (message.type === 'done') finish({ next: settings.cases })
        else next = message.next!
      })
      worker.on('error', (error: Error & { code?: string }) => {
        const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        finish({ next, stopped: memory ? 'memory' : 'crash', index: view[0]!, detail: firstLine(error) })
      })
      worker.on('exit', (code) => {
        finish(code === 0 && next >= settings.cases ? { next } : { next, stopped: 'crash', index: view[0]!, detail: `the worker exited with code ${code}` })
      })
    })
    // The cases since the last tally are run again by the next worker; only the culprit is skipped.
    if (ended.stopped) {
      addFinding(total, ended.stopped, ended.detail!, ended.index!)
      total.cases++
      skip.push(ended.index!)
    }
    from = ended.next
  }
  return { tally: total, seconds: (performance.now() - started) / 1000 }
}

const number = (value: number): string => Math.round(value).toLocaleString('en-US')

function printTarget(target: FuzzTarget, settings: FuzzSettings, tally: Tally, seconds: number): void {
  const codes = Object.entries(tally.codes).sort((a, b) => b[1] - a[1])
  const coded = codes.reduce((sum, [, count]) => sum + count, 0)
  const findings = tally.findings.reduce((sum, finding) => sum + finding.count, 0)
  console.log(`\n${target.name}: ${target.what}`)
  console.log(`      cases ${number(tally.cases)}   accepted ${number(tally.ok)}   refused with a code ${number(coded)}   findings ${number(findings)}`)
  if (codes.length) console.log(`      codes: ${codes.slice(0, 4).map(([code, count]) => `${code} ${number(count)}`).join(', ')}`)
  console.log(
    `      ${seconds.toFixed(1)} s, ${number(tally.cases / seconds)} cases/s, slowest case ${tally.slowestMs.toFixed(0)} ms (#${tally.slowestIndex}); ` +
      `peak heap ${tally.peakHeapMb.toFixed(0)} MB, external ${tally.peakExternalMb.toFixed(0)} MB, rss ${tally.peakRssMb.toFixed(0)} MB; heap kept after GC ${tally.heapGrowthMb.toFixed(1)} MB`,
  )
  for (const finding of tally.findings.sort((a, b) => b.count - a.count)) {
    console.log(`      FINDING ${finding.kind} ×${finding.count}, first case #${finding.index}: ${finding.message}`)
    console.log(`              replay: FUZZ_SEED=${settings.seed} FUZZ_TARGET=${target.name} FUZZ_CASE=${finding.index} npm run bench fuzz`)
  }
}

/** Replays one case in this thread and prints what it did, with the whole stack of anything thrown. */
async function replay(target: FuzzTarget, settings: FuzzSettings, index: number): Promise<number> {
  const r = new Random(caseSeed(settings.seed, target.name, index))
  const started = performance.now()
  try {
    const outcome = await target.run(r, index)
    console.log(`${target.name} #${index}: ${outcome} in ${(performance.now() - started).toFixed(1)} ms`)
    return 0
  } catch (error) {
    console.log(`${target.name} #${index}: ${error instanceof Finding ? `FINDING ${error.kind}` : 'escaped'} in ${(performance.now() - started).toFixed(1)} ms`)
    console.log(error)
    if (error instanceof Error && error.cause) console.log('cause:', error.cause)
    return 1
  }
}

/**
 * The benchmark: every target (or those in FUZZ_TARGET), FUZZ_CASES cases each, from FUZZ_SEED.
 * FUZZ_CASE replays one case of one target in this thread. Exits 1 on any finding or memory past its bound.
 */
export async function fuzzMain(file: URL, targets: readonly FuzzTarget[], defaults: FuzzSettings): Promise<void> {
  if (!isMainThread) {
    await runWorker(targets)
    return
  }
  const env = process.env
  const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) >>> 0 : defaults.seed
  const settings: FuzzSettings = { ...defaults, seed, cases: env.FUZZ_CASES ? Number(env.FUZZ_CASES) : defaults.cases }
  const wanted = env.FUZZ_TARGET ? env.FUZZ_TARGET.split(',') : targets.map((target) => target.name)
  const chosen = targets.filter((target) => wanted.includes(target.name))
  if (env.FUZZ_CASE) {
    process.exitCode = await replay(chosen[0]!, settings, Number(env.FUZZ_CASE))
    return
  }
  console.log(`seed ${seed} (FUZZ_SEED to change), ${number(settings.cases)} cases per target (FUZZ_CASES); a case slower than ${settings.slowMs / 1000} s, hung past ${settings.hangMs / 1000} s,`)
  console.log(`crashing, refusing without a code, breaking a property, or heap past ${settings.heapLimitMb} MB / rss past ${settings.rssLimitMb} MB / ${settings.leakLimitMb} MB kept is a finding`)
  let failed = false
  const summary: string[] = []
  const started = performance.now()
  for (const target of chosen) {
    const { tally, seconds } = await runTarget(file, target, settings)
    printTarget(target, settings, tally, seconds)
    const findings = tally.findings.reduce((sum, finding) => sum + finding.count, 0)
    const memoryOk = tally.peakHeapMb <= settings.heapLimitMb && tally.peakRssMb <= settings.rssLimitMb && tally.heapGrowthMb <= settings.leakLimitMb
    if (findings > 0 || !memoryOk || tally.cases < settings.cases) failed = true
    summary.push(
      `${findings === 0 && memoryOk ? 'ok  ' : 'MISS'}  ${target.name.padEnd(8)} ${number(tally.cases).padStart(8)} cases, ${String(findings).padStart(3)} findings, ` +
        `${number(tally.cases / seconds).padStart(6)} cases/s, peak heap ${tally.peakHeapMb.toFixed(0).padStart(3)} MB, rss ${tally.peakRssMb.toFixed(0).padStart(4)} MB`,
    )
  }
  console.log(`\nseed ${seed}, ${((performance.now() - started) / 1000).toFixed(0)} s in all`)
  for (const line of summary) console.log(line)
  if (failed) process.exitCode = 1
}

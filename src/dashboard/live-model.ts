/**
 * What the dashboard shows, built from live frames alone: pure, no DOM, so it runs in Node tests
 * and in the browser bundle. Frames of every shard of one run (same `run` key) fold into one run.
 */

import type { VerdictKind } from '../verdicts/types.js'
import { VERDICT_ORDER, verdictKey, type LiveVerdict } from './verdict-panel.js'

/** Tests, failures, console lines and verdict changes kept per run, so a huge run cannot exhaust the page. */
export const MODEL_LIMITS = { tests: 50_000, failures: 500, console: 500, runs: 20, verdicts: 2_000 }

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'todo'

/** A test's stored verdict before the run, from the `known` field of its `test` frame. */
export interface KnownMark {
  verdict: VerdictKind
  confidence: number
}

export interface LiveTest {
  fileId: string
  path: string
  name: string
  status: TestStatus
  durationMs: number | null
  attempts: number
  failureMessage: string | null
  location: { line: number; column: number } | null
  retryErrors: string[]
  /** Its stored verdict before this run, when that was not `stable`. */
  known: KnownMark | null
}

/** One file's run on one lane (a worker slot) of one shard. */
export interface LaneSpan {
  lane: string
  fileId: string
  path: string
  start: number
  end: number | null
  status: 'running' | 'passed' | 'failed' | 'skipped'
}

export interface FlakyEvidence {
  fileId: string
  path: string
  name: string
  evidence: string
  attempts: number
  attemptOutcomes: string[]
}

export interface DeadlineMissView {
  fileId: string
  deadlineMs: number
  finishedMs: number
}

export interface ShardView {
  publisher: string
  shard: { index: number; count: number } | null
  status: 'running' | 'passed' | 'failed' | 'interrupted'
  runner: string
  runnerVersion: string
  storeRunId: string | null
}

export interface RunView {
  key: string
  /** `live` when built from frames; `recorded` when read back from the store after the run (see recorded-run.ts). */
  source: 'live' | 'recorded'
  startedAt: number
  endedAt: number | null
  shards: Map<string, ShardView>
  filesStarted: number
  filesDone: number
  counts: Record<TestStatus, number>
  tests: Map<string, LiveTest>
  failures: LiveTest[]
  flaky: FlakyEvidence[]
  /** Tests that ran with a known `flaky` or `failing` verdict, by file and name (see `verdictKey`). */
  knownRan: Map<string, LiveTest>
  /** Verdicts this run's analysis changed, in arrival order. */
  verdicts: LiveVerdict[]
  lanes: LaneSpan[]
  deadlineMisses: DeadlineMissView[]
  console: Array<{ stream: string; text: string; path: string | null }>
  /** Console lines the hub skipped for this page (it lagged), from `dropped` notices. */
  consoleDropped: number
  /** Frames lost in transit (gaps), which the page cannot show. */
  gaps: number
}

type Payload = Record<string, unknown>

const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)

function laneLabel(payload: Payload, lane: unknown): string {
  const shard = payload.shard as { index?: number; count?: number } | null | undefined
  const worker = `worker ${typeof lane === 'number' ? lane + 1 : '?'}`
  return shard && typeof shard.index === 'number' ? `shard ${shard.index}/${shard.count} · ${worker}` : worker
}

/** The status of a run from its shards: running while any runs, failed if any failed. */
export function runStatus(run: RunView): ShardView['status'] {
  const statuses = Array.from(run.shards.values(), (shard) => shard.status)
  if (statuses.length === 0 || statuses.includes('running')) return 'running'
  if (statuses.includes('interrupted')) return 'interrupted'
  return statuses.includes('failed') ? 'failed' : 'passed'
}

/** Folds frames into runs. `apply` takes one frame as it arrives; `reset` starts over (a new hub). */
export class LiveModel {
  readonly runs = new Map<string, RunView>()
  /** The run most recently started: the one the page shows. */
  current: string | null = null
  /** Bumped on every change, so a renderer can skip frames that changed nothing. */
  version = 0
  /**
   * Live verdicts received so far, never reset: the page notes it when it reads the stored verdicts,
   * and lays over them only the live ones that came after (see `panelVerdicts`).
   */
  verdictSeq = 0

  reset(): void {
    this.runs.clear()
    this.current = null
    this.version++
  }

  private runOf(payload: Payload): RunView | null {
    const key = str(payload.run)
    if (!key) return null
    let run = this.runs.get(key)
    if (!run) {
      run = {
        key,
        source: 'live',
        startedAt: num(payload.startedAt) ?? num(payload.at) ?? Date.now(),
        endedAt: null,
        shards: new Map(),
        filesStarted: 0,
        filesDone: 0,
        counts: { passed: 0, failed: 0, skipped: 0, todo: 0 },
        tests: new Map(),
        failures: [],
        flaky: [],
        knownRan: new Map(),
        verdicts: [],
        lanes: [],
        deadlineMisses: [],
        console: [],
        consoleDropped: 0,
        gaps: 0,
      }
      this.runs.set(key, run)
      this.current = key
      while (this.runs.size > MODEL_LIMITS.runs) this.runs.delete(this.runs.keys().next().value!)
    }
    return run
  }

  private shardOf(run: RunView, payload: Payload): ShardView {
    const publisher = str(payload.publisher)
    let shard = run.shards.get(publisher)
    if (!shard) {
      shard = { publisher, shard: (payload.shard as ShardView['shard']) ?? null, status: 'running', runner: '', runnerVersion: '', storeRunId: null }
      run.shards.set(publisher, shard)
    }
    return shard
  }

  /** Applies one frame `[channel, seq, type, payload]`. Unknown frames are ignored. */
  apply(channel: string, type: string, raw: unknown): void {
    if (raw === null || typeof raw !== 'object') return
    const payload = raw as Payload
    if (type === 'gap') {
      const run = this.current ? this.runs.get(this.current) : undefined
      if (run) run.gaps += (num(payload.to) ?? 0) - (num(payload.from) ?? 0) + 1
      this.version++
      return
    }
    const run = this.runOf(payload)
    if (!run) return
    this.version++
    if (channel === 'run') this.applyRun(run, type, payload)
    else if (channel === 'results') this.applyResult(run, type, payload)
    else if (channel === 'analysis') this.applyAnalysis(run, type, payload)
    else if (channel === 'console' && type === 'log') {
      run.console.push({ stream: str(payload.stream), text: str(payload.text), path: typeof payload.path === 'string' ? payload.path : null })
      if (run.console.length > MODEL_LIMITS.console) run.console.splice(0, run.console.length - MODEL_LIMITS.console)
    }
  }

  /** A `dropped` notice: console lines this page will not get. */
  consoleDropped(count: number): void {
    const run = this.current ? this.runs.get(this.current) : undefined
    if (run) run.consoleDropped += count
    this.version++
  }

  private applyRun(run: RunView, type: string, payload: Payload): void {
    const shard = this.shardOf(run, payload)
    if (type === 'run.start') {
      shard.runner = str(payload.runner)
      shard.runnerVersion = str(payload.runnerVersion)
      shard.status = 'running'
      run.startedAt = Math.min(run.startedAt, num(payload.startedAt) ?? run.startedAt)
      run.endedAt = null
      this.current = run.key
    } else if (type === 'file.start') {
      run.filesStarted++
      run.lanes.push({ lane: laneLabel(payload, payload.lane), fileId: str(payload.fileId), path: str(payload.path), start: num(payload.at) ?? Date.now(), end: null, status: 'running' })
    } else if (type === 'run.end') {
      const status = str(payload.status)
      shard.status = status === 'passed' || status === 'failed' || status === 'interrupted' ? status : 'failed'
      shard.storeRunId = typeof payload.id === 'string' ? payload.id : null
      const endedAt = num(payload.endedAt)
      if (runStatus(run) !== 'running') run.endedAt = endedAt ?? Date.now()
      const deadlines = payload.deadlines as { missed?: DeadlineMissView[] } | null | undefined
      for (const miss of deadlines?.missed ?? []) this.addMiss(run, miss)
    }
  }

  private addMiss(run: RunView, miss: DeadlineMissView): void {
    if (run.deadlineMisses.some((known) => known.fileId === miss.fileId)) return
    run.deadlineMisses.push({ fileId: str(miss.fileId), deadlineMs: num(miss.deadlineMs) ?? 0, finishedMs: num(miss.finishedMs) ?? 0 })
  }

  private applyResult(run: RunView, type: string, payload: Payload): void {
    if (type === 'test') {
      const key = `${str(payload.publisher)}\u0000${str(payload.fileId)}\u0000${str(payload.name)}`
      const status = str(payload.status) as TestStatus
      if (!(status in run.counts)) return
      const previous = run.tests.get(key)
      if (previous) run.counts[previous.status]--
      run.counts[status]++
      const location = payload.location as LiveTest['location']
      const test: LiveTest = {
        fileId: str(payload.fileId),
        path: str(payload.path),
        name: str(payload.name),
        status,
        durationMs: num(payload.durationMs),
        attempts: num(payload.attempts) ?? 1,
        failureMessage: typeof payload.failureMessage === 'string' ? payload.failureMessage : null,
        location: location && typeof location.line === 'number' ? location : null,
        retryErrors: Array.isArray(payload.retryErrors) ? payload.retryErrors.filter((item): item is string => typeof item === 'string') : [],
        known: knownOf(payload.known),
      }
      if (run.tests.size < MODEL_LIMITS.tests || previous) run.tests.set(key, test)
      if (test.known && (test.known.verdict === 'flaky' || test.known.verdict === 'failing') && run.knownRan.size < MODEL_LIMITS.tests) {
        run.knownRan.set(verdictKey(test.fileId, test.name), test)
      }
      if (status === 'failed' && run.failures.length < MODEL_LIMITS.failures) run.failures.push(test)
    } else if (type === 'file') {
      run.filesDone++
      const fileId = str(payload.fileId)
      const status = str(payload.status)
      const span = run.lanes.find((candidate) => candidate.fileId === fileId && candidate.end === null)
      if (span) {
        span.end = (num(payload.startedAt) ?? span.start) + (num(payload.durationMs) ?? 0)
        span.end = Math.max(span.end, span.start)
        span.status = status === 'failed' ? 'failed' : status === 'skipped' ? 'skipped' : 'passed'
      }
    }
  }

  private applyAnalysis(run: RunView, type: string, payload: Payload): void {
    if (type === 'flaky') {
      run.flaky.push({
        fileId: str(payload.fileId),
        path: str(payload.path),
        name: str(payload.name),
        evidence: str(payload.evidence),
        attempts: num(payload.attempts) ?? 0,
        attemptOutcomes: Array.isArray(payload.attemptOutcomes) ? payload.attemptOutcomes.map(str) : [],
      })
    } else if (type === 'verdict') {
      const verdict = kindOf(payload.verdict)
      const confidence = num(payload.confidence)
      if (!verdict || confidence === null || run.verdicts.length >= MODEL_LIMITS.verdicts) return
      const evidence = Array.isArray(payload.evidence) ? (payload.evidence as Payload[]) : []
      run.verdicts.push({
        fileId: str(payload.fileId),
        name: str(payload.name),
        verdict,
        confidence,
        evidence: evidence.filter((item) => item !== null && typeof item === 'object').map((item) => ({ signal: str(item.signal), value: num(item.value) ?? 0, detail: str(item.detail) })),
        order: ++this.verdictSeq,
      })
    } else if (type === 'deadline.miss') {
      this.addMiss(run, payload as unknown as DeadlineMissView)
    }
  }
}

function kindOf(value: unknown): VerdictKind | null {
  return VERDICT_ORDER.includes(value as VerdictKind) ? (value as VerdictKind) : null
}

/** The `known` field of a `test` frame, when well formed. */
function knownOf(value: unknown): KnownMark | null {
  if (value === null || typeof value !== 'object') return null
  const { verdict, confidence } = value as Payload
  const kind = kindOf(verdict)
  const sure = num(confidence)
  return kind && sure !== null ? { verdict: kind, confidence: sure } : null
}

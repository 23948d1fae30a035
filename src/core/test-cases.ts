import type { FileRecord, RunRecord, TestRecord } from '../records.js'
import type { HistoryStore } from '../store/history-store.js'
import type { TestCase, TestObservation } from '../verdicts/types.js'
import { classifyChanges } from './changed-files.js'

/** Observations per test that carry the costly details (messages, the files that ran before). */
const DETAILED_OBSERVATIONS = 20
/** Files before a test's file in a run that order dependence looks at (those most likely on its worker). */
const BEFORE_FILES = 20

/** The tests a run ran, by file: what the analysis looks at after the run. */
export interface RanFile {
  fileId: string
  path: string
  tests: ReadonlyArray<Pick<TestRecord, 'name' | 'status'>>
}

/**
 * The analysis' view of the tests that ran: each test's whole window from the store, each run's
 * code state and changes, and for its newest failures and runs, the failure message and the files
 * that started before its file. Reads are bounded: a file's detail records only where its tests
 * failed or were retried, each run's order once.
 */
export function testCasesOf(store: HistoryStore, ran: readonly RanFile[]): TestCase[] {
  const runs = new Map<number, RunRecord>()
  for (const run of store.listRuns()) runs.set(run.seq, run)
  const orders = new Map<number, readonly string[]>()
  const orderOf = (seq: number): readonly string[] => {
    let order = orders.get(seq)
    if (!order) orders.set(seq, (order = store.analysis.runOrder(seq)))
    return order
  }
  const changedSets = new Map<number, ReadonlySet<string>>()
  const changedIn = (seq: number): ReadonlySet<string> => {
    let set = changedSets.get(seq)
    if (!set) changedSets.set(seq, (set = new Set(runs.get(seq)?.changedSince ?? [])))
    return set
  }
  const cases: TestCase[] = []
  for (const file of ran) {
    const names = new Set(file.tests.filter((test) => test.status === 'passed' || test.status === 'failed').map((test) => test.name))
    if (names.size === 0) continue
    const records = new Map<number, FileRecord | undefined>()
    const recordOf = (seq: number): FileRecord | undefined => {
      if (!records.has(seq)) records.set(seq, store.fileRecord(file.fileId, seq))
      return records.get(seq)
    }
    const beforeBySeq = new Map<number, string[]>()
    const beforeIn = (seq: number): string[] => {
      let files = beforeBySeq.get(seq)
      if (!files) beforeBySeq.set(seq, (files = before(orderOf(seq), file.fileId)))
      return files
    }
    const changedBySeq = new Map<number, boolean>()
    const changed = (seq: number): boolean => {
      let value = changedBySeq.get(seq)
      if (value === undefined) {
        const set = changedIn(seq)
        value = set.size > 0 && classifyChanges([file.path], set)[0] !== null
        changedBySeq.set(seq, value)
      }
      return value
    }
    for (const history of store.testsOf(file.fileId)) {
      if (!names.has(history.name)) continue
      const ran = history.entries.filter((entry) => entry.status === 'passed' || entry.status === 'failed')
      const detailedFrom = ran.length - DETAILED_OBSERVATIONS
      const observations = ran.map((entry, i): TestObservation => {
        const run = runs.get(entry.seq)
        const eventful = entry.status === 'failed' || entry.attempts > 1
        const detailed = eventful || i >= detailedFrom
        const test = eventful && i >= detailedFrom ? recordOf(entry.seq)?.tests.find((candidate) => candidate.name === history.name) : undefined
        return {
          seq: entry.seq,
          status: entry.status as 'passed' | 'failed',
          attempts: entry.attempts,
          durationMs: entry.durationMs,
          startedAt: run?.startedAt ?? entry.startedAt,
          codeState: run && run.code.commit && !run.code.dirty ? run.code.commit : null,
          message: test ? (test.failureMessage ?? test.retryErrors[0] ?? null) : null,
          timeoutMs: test?.timeoutMs ?? null,
          before: detailed ? beforeIn(entry.seq) : [],
          changed: changed(entry.seq),
        }
      })
      if (observations.length > 0) cases.push({ fileId: file.fileId, name: history.name, observations })
    }
  }
  return cases
}

/** Up to `BEFORE_FILES` files that started just before `fileId` in a run's order. */
function before(order: readonly string[], fileId: string): string[] {
  const at = order.indexOf(fileId)
  return at <= 0 ? [] : order.slice(Math.max(0, at - BEFORE_FILES), at).slice()
}

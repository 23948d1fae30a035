import type { Database, RootDatabase } from 'lmdb'
import type { Cluster, ModelState, Verdict, VerdictKind } from '../verdicts/types.js'
import { testKey } from './test-key.js'

/** A test's stored verdict (the test's identity is its key). */
export type StoredVerdict = Omit<Verdict, 'fileId' | 'test'> & { name: string; updatedSeq: number }

/** What the planner needs of a file's verdicts: the worst kind among its tests and what retries cost. */
export interface FileVerdict {
  /** `failing` > `flaky` > `recovered` > `new` > `stable`. */
  kind: VerdictKind
  /** Confidence of that kind (the highest among the tests that have it). */
  confidence: number
  /** Expected attempts of the file's most retried test: its duration is paid that many times. */
  expectedAttempts: number
  /** Tests with a `flaky` verdict. */
  flakyTests: number
}

const RANK: Record<VerdictKind, number> = { stable: 0, new: 1, recovered: 2, flaky: 3, failing: 4 }

/** The worst verdict of a file's tests. */
export function fileVerdictOf(verdicts: Iterable<Pick<Verdict, 'verdict' | 'confidence' | 'expectedAttempts'>>): FileVerdict {
  let kind: VerdictKind = 'stable'
  let confidence = 0
  let expectedAttempts = 1
  let flakyTests = 0
  for (const verdict of verdicts) {
    if (verdict.verdict === 'flaky') flakyTests++
    expectedAttempts = Math.max(expectedAttempts, verdict.expectedAttempts)
    if (RANK[verdict.verdict] > RANK[kind]) {
      kind = verdict.verdict
      confidence = verdict.confidence
    } else if (verdict.verdict === kind) confidence = Math.max(confidence, verdict.confidence)
  }
  return { kind, confidence, expectedAttempts, flakyTests }
}

/** The databases and helpers `AnalysisStore` borrows from its `HistoryStore`. */
export interface AnalysisStoreContext {
  root: RootDatabase
  readOnly: boolean
  meta: Database<unknown, string>
  read<T>(what: string, read: () => T): T
  write<T>(what: string, body: () => T): Promise<T>
}

/**
 * The analysis' part of the store: one verdict per test (db `verdicts`, keyed like the tests'
 * windows), the rollup per file the planner reads in one get (`meta.fileVerdicts`), the clusters
 * and the meta-learner's state (`meta.model`), and each run's file order (db `runOrder`: the files
 * in the order they started, for the order-dependence signal).
 */
export class AnalysisStore {
  private readonly context: AnalysisStoreContext
  private readonly verdicts: Database<StoredVerdict, [string, string]> | null
  private readonly orders: Database<string[], number> | null

  constructor(context: AnalysisStoreContext) {
    this.context = context
    // A read-only environment cannot create a database, and lmdb-js hands back a broken handle for a
    // missing one: a store no analysis has written yet simply has no verdicts.
    const names = context.readOnly ? new Set(context.read('the databases', () => Array.from(context.root.getKeys({}), String))) : null
    this.verdicts = !names || names.has('verdicts') ? context.root.openDB<StoredVerdict, [string, string]>({ name: 'verdicts' }) : null
    this.orders = !names || names.has('runOrder') ? context.root.openDB<string[], number>({ name: 'runOrder' }) : null
  }

  /** The meta-learner's state, or null before the first analysis. */
  model(): ModelState | null {
    return this.context.read('the model', () => (this.context.meta.get('model') as ModelState | undefined) ?? null)
  }

  clusters(): Cluster[] {
    return this.context.read('the clusters', () => (this.context.meta.get('clusters') as Cluster[] | undefined) ?? [])
  }

  /** Verdict rollups per file id (empty before the first analysis). */
  fileVerdicts(): Map<string, FileVerdict> {
    return this.context.read('the file verdicts', () => new Map(Object.entries((this.context.meta.get('fileVerdicts') as Record<string, FileVerdict> | undefined) ?? {})))
  }

  /** One test's verdict. */
  verdictOf(fileId: string, name: string): Verdict | undefined {
    const stored = this.context.read('a verdict', () => this.verdicts?.get(testKey(fileId, name)))
    return stored ? toVerdict(fileId, stored) : undefined
  }

  /** Every verdict, by file then name. */
  allVerdicts(): Verdict[] {
    const verdicts = this.verdicts
    if (!verdicts) return []
    return this.context.read('the verdicts', () => Array.from(verdicts.getRange({}), ({ key, value }) => toVerdict(key[0], value)))
  }

  /** The verdicts of one file's tests. */
  verdictsOfFile(fileId: string): Verdict[] {
    return this.context.read('the verdicts', () => this.storedOfFile(fileId).map((stored) => toVerdict(fileId, stored)))
  }

  /** Keys sort by UTF-8 bytes, so no string bounds every name: walk from the file and stop at the next one. */
  private storedOfFile(fileId: string): StoredVerdict[] {
    const found: StoredVerdict[] = []
    if (!this.verdicts) return found
    for (const { key, value } of this.verdicts.getRange({ start: [fileId] })) {
      if (key[0] !== fileId) break
      found.push(value)
    }
    return found
  }

  /** The files of run `seq` in the order they started; empty when not kept. */
  runOrder(seq: number): readonly string[] {
    return this.context.read('a run order', () => this.orders?.get(seq) ?? [])
  }

  /** Writes an analysis in one transaction: the verdicts, the files' rollups, the clusters and the model. */
  async writeAnalysis(verdicts: readonly Verdict[], clusters: readonly Cluster[], model: ModelState, seq: number): Promise<void> {
    await this.context.write('the analysis', () => {
      const touched = new Set<string>()
      for (const verdict of verdicts) {
        const { fileId, test, ...rest } = verdict
        this.verdicts!.put(testKey(fileId, test), { ...rest, name: test, updatedSeq: seq })
        touched.add(fileId)
      }
      const rollups = (this.context.meta.get('fileVerdicts') as Record<string, FileVerdict> | undefined) ?? {}
      for (const fileId of touched) {
        rollups[fileId] = fileVerdictOf(this.storedOfFile(fileId))
      }
      this.context.meta.put('fileVerdicts', rollups)
      this.context.meta.put('clusters', clusters)
      this.context.meta.put('model', model)
    })
  }

  /** Keeps a run's file order (bounded: at most `limit` files). */
  putRunOrder(seq: number, fileIds: readonly string[], limit = RUN_ORDER_LIMIT): void {
    if (fileIds.length > 0 && fileIds.length <= limit) this.orders?.put(seq, fileIds.slice())
  }

  /** Drops what belongs to runs older than `oldest` and tests no longer in the store (compaction). */
  compact(oldest: number, testExists: (key: [string, string]) => boolean): void {
    const orders = this.orders
    const verdicts = this.verdicts
    if (!orders || !verdicts) return
    for (const seq of Array.from(orders.getKeys({ end: oldest }))) orders.remove(seq)
    const rollups = (this.context.meta.get('fileVerdicts') as Record<string, FileVerdict> | undefined) ?? {}
    const remaining = new Set<string>()
    for (const { key } of Array.from(verdicts.getRange({}))) {
      if (testExists(key)) remaining.add(key[0])
      else verdicts.remove(key)
    }
    for (const fileId of Object.keys(rollups)) if (!remaining.has(fileId)) delete rollups[fileId]
    this.context.meta.put('fileVerdicts', rollups)
  }
}

/** Runs keep their file order only up to this many files (order dependence in larger suites is not tracked). */
export const RUN_ORDER_LIMIT = 5_000

function toVerdict(fileId: string, stored: StoredVerdict): Verdict {
  const { name, updatedSeq: _updated, ...rest } = stored
  return { fileId, test: name, ...rest }
}

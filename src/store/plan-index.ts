import { suiteModel, type SuiteModel } from '../scheduling/failure-model.js'
import { plainEvidence, type EvidenceLookup, type FileEvidence } from '../scheduling/file-evidence.js'
import { buildFileIdSlots, findFileIdRow, isUsableSlotTable } from './file-id-table.js'

/**
 * The evidence of every file packed into one value, so the planner reads the whole suite with a
 * single get (reading 20,000 windows one by one costs more than the 100 ms planning budget).
 * Numbers are float64, FIELDS per file, in id order; null is stored as NaN.
 */
export interface StoredPlanIndex {
  /** File ids, row by row (the first form; still read). */
  ids?: string[]
  /**
   * File ids joined by NUL (no path holds one): one string decodes in a few milliseconds where
   * 50,000 strings take tens. Written instead of `ids` whenever no id holds a NUL.
   */
  idText?: string
  data: Uint8Array
  /** `buildFileIdSlots(ids)` as bytes, so a lookup needs no `Map` of every id. */
  slots?: Uint8Array
  /** The suite model of these files, computed once when the index is written. */
  suite?: SuiteModel
  /** Project names that prefix file ids (`project:path`), so a path can be recovered from an id without reading the files. */
  projects?: string[]
}

const FIELDS = 11
const STATUS = { passed: 0, failed: 1 } as const
const ID_SEPARATOR = '\0'

function toNumber(value: number | null): number {
  return value === null ? Number.NaN : value
}

function toNullable(value: number): number | null {
  return Number.isNaN(value) ? null : value
}

/** Packs evidence by file id (and the project names of those files) into the stored form. */
export function packPlanIndex(evidence: ReadonlyMap<string, FileEvidence>, projects: Iterable<string> = []): StoredPlanIndex {
  const ids = Array.from(evidence.keys())
  const numbers = new Float64Array(ids.length * FIELDS)
  ids.forEach((id, i) => {
    const e = evidence.get(id)!
    numbers.set(
      [
        e.runs,
        e.lastStatus === null ? -1 : STATUS[e.lastStatus],
        toNumber(e.predictedMs),
        e.timedRuns,
        toNumber(e.p90Ms),
        e.lastSeq,
        e.lastFailedSeq,
        e.failureScore,
        e.ranRuns,
        e.failedRuns,
        e.flips,
      ],
      i * FIELDS,
    )
  })
  const slots = new Uint8Array(buildFileIdSlots(ids).buffer)
  const names = Array.from(new Set(projects)).filter(Boolean).sort()
  const stored: StoredPlanIndex = ids.some((id) => id.includes(ID_SEPARATOR))
    ? { ids, data: new Uint8Array(numbers.buffer), slots, suite: suiteModel(evidence.values()) }
    : { idText: ids.join(ID_SEPARATOR), data: new Uint8Array(numbers.buffer), slots, suite: suiteModel(evidence.values()) }
  if (names.length) stored.projects = names
  return stored
}

/** The path part of a file id (`project:path` or `path`), given the stored project names. */
export function pathOfFileId(fileId: string, projects: readonly string[]): string {
  // The longest project first: `web:typecheck:tests/a.ts` belongs to `web:typecheck`, not `web`.
  let best = ''
  for (const project of projects) if (project.length > best.length && fileId.startsWith(`${project}:`)) best = project
  return best ? fileId.slice(best.length + 1) : fileId
}

/**
 * One file's evidence read straight from the unpacked numbers: two hidden fields instead of eleven
 * own ones, so planning 50,000 files allocates a fifth as much. Reads like any `FileEvidence`.
 */
class PackedEvidence implements FileEvidence {
  readonly #numbers: Float64Array
  readonly #at: number

  constructor(numbers: Float64Array, at: number) {
    this.#numbers = numbers
    this.#at = at
  }

  get runs(): number {
    return this.#numbers[this.#at]!
  }
  get lastStatus(): FileEvidence['lastStatus'] {
    const status = this.#numbers[this.#at + 1]!
    return status === 1 ? 'failed' : status === 0 ? 'passed' : null
  }
  get predictedMs(): number | null {
    return toNullable(this.#numbers[this.#at + 2]!)
  }
  get timedRuns(): number {
    return this.#numbers[this.#at + 3]!
  }
  get p90Ms(): number | null {
    return toNullable(this.#numbers[this.#at + 4]!)
  }
  get lastSeq(): number {
    return this.#numbers[this.#at + 5]!
  }
  get lastFailedSeq(): number {
    return this.#numbers[this.#at + 6]!
  }
  get failureScore(): number {
    return this.#numbers[this.#at + 7]!
  }
  get ranRuns(): number {
    return this.#numbers[this.#at + 8]!
  }
  get failedRuns(): number {
    return this.#numbers[this.#at + 9]!
  }
  get flips(): number {
    return this.#numbers[this.#at + 10]!
  }

  /** The plain form, for JSON and comparisons. */
  toJSON(): FileEvidence {
    return plainEvidence(this)
  }
}

function isSuiteModel(value: unknown): value is SuiteModel {
  const suite = value as SuiteModel | null
  return (
    typeof suite === 'object' && suite !== null &&
    Number.isFinite(suite.failureRate) && suite.failureRate >= 0 && suite.failureRate <= 1 &&
    Number.isFinite(suite.medianMs) && suite.medianMs >= 1
  )
}

/** The stored ids, from either form; null when neither is readable. */
function storedIds(stored: StoredPlanIndex): string[] | null {
  if (typeof stored.idText === 'string') return stored.idText.length ? stored.idText.split(ID_SEPARATOR) : []
  if (Array.isArray(stored.ids) && stored.ids.every((id) => typeof id === 'string')) return stored.ids
  return null
}

/** Whether a value read from the store has the shape of a plan index (old or new form). */
export function isStoredPlanIndex(value: unknown): value is StoredPlanIndex {
  const stored = value as StoredPlanIndex | null
  return typeof stored === 'object' && stored !== null && stored.data instanceof Uint8Array && (typeof stored.idText === 'string' || Array.isArray(stored.ids))
}

/**
 * The plan index as the planner reads it: evidence by file id without unpacking every file. A
 * lookup hashes the id and probes the stored table; each file's evidence is a view of two fields
 * over the shared numbers, made only for the files asked about.
 */
export class PlanIndex implements EvidenceLookup {
  readonly ids: readonly string[]
  readonly projects: readonly string[]
  /** The suite model of every file in the index (the prior for files with little history). */
  readonly suite: SuiteModel
  readonly #numbers: Float64Array
  readonly #slots: Int32Array

  constructor(stored: StoredPlanIndex) {
    const ids = storedIds(stored) ?? []
    const bytes = Uint8Array.prototype.slice.call(stored.data)
    this.#numbers = new Float64Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 8))
    this.ids = ids.length * FIELDS > this.#numbers.length ? ids.slice(0, Math.floor(this.#numbers.length / FIELDS)) : ids
    const slotBytes = stored.slots instanceof Uint8Array && stored.slots.byteLength % 4 === 0 ? Uint8Array.prototype.slice.call(stored.slots) : null
    const slots = slotBytes ? new Int32Array(slotBytes.buffer) : null
    this.#slots = slots && slots.length !== 0 && isUsableSlotTable(slots, this.ids.length) ? slots : buildFileIdSlots(this.ids)
    this.projects = Array.isArray(stored.projects) ? stored.projects.filter((p) => typeof p === 'string') : []
    this.suite = isSuiteModel(stored.suite) ? { failureRate: stored.suite.failureRate, medianMs: stored.suite.medianMs } : suiteModel(this.values())
  }

  /** Files in the index. */
  get size(): number {
    return this.ids.length
  }

  /** The evidence of `fileId`, or undefined for a file without history. */
  get(fileId: string): FileEvidence | undefined {
    const row = findFileIdRow(this.ids, this.#slots, fileId)
    return row === -1 ? undefined : new PackedEvidence(this.#numbers, row * FIELDS)
  }

  /** Every file's evidence, in row order. */
  *values(): IterableIterator<FileEvidence> {
    for (let row = 0; row < this.ids.length; row++) yield new PackedEvidence(this.#numbers, row * FIELDS)
  }

  /** Evidence by file id, for callers that iterate or edit it. */
  toMap(): Map<string, FileEvidence> {
    const evidence = new Map<string, FileEvidence>()
    for (let row = 0; row < this.ids.length; row++) evidence.set(this.ids[row]!, new PackedEvidence(this.#numbers, row * FIELDS))
    return evidence
  }
}

/** Unpacks the stored form into evidence by file id. */
export function unpackPlanIndex(stored: StoredPlanIndex): Map<string, FileEvidence> {
  return new PlanIndex(stored).toMap()
}

import type { HistoryEntry, TestStatus } from '../records.js'

/**
 * A bounded history as one packed byte array, newest entry last. The planner reads tens of
 * thousands of these per plan, so entries are decoded on access instead of as objects.
 * Layout per entry (little-endian): seq u32 | status u8 | attempts u8 | flags u16 | durationMs f32 | startedAt f64.
 * Flags (schema 2; zero before): bit 0 first on its worker, bit 1 duration of the tests only.
 */
export const ENTRY_BYTES = 20

const STATUS_CODES: readonly TestStatus[] = ['passed', 'failed', 'skipped', 'todo']

export const FLAG_FIRST_ON_WORKER = 1
export const FLAG_PARTIAL_DURATION = 2

function flagsOf(entry: HistoryEntry): number {
  return (entry.firstOnWorker ? FLAG_FIRST_ON_WORKER : 0) | (entry.partialDuration ? FLAG_PARTIAL_DURATION : 0)
}

export function statusCode(status: TestStatus): number {
  const code = STATUS_CODES.indexOf(status)
  return code === -1 ? 2 : code
}

export class HistoryWindow {
  readonly bytes: Uint8Array
  private readonly view: DataView

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength - (bytes.byteLength % ENTRY_BYTES))
  }

  /** Number of entries. */
  get length(): number {
    return Math.floor(this.bytes.byteLength / ENTRY_BYTES)
  }

  seq(i: number): number {
    return this.view.getUint32(i * ENTRY_BYTES, true)
  }

  /** 0 passed, 1 failed, 2 skipped, 3 todo. */
  statusCode(i: number): number {
    return this.view.getUint8(i * ENTRY_BYTES + 4)
  }

  status(i: number): TestStatus {
    return STATUS_CODES[this.statusCode(i)] ?? 'skipped'
  }

  attempts(i: number): number {
    return this.view.getUint8(i * ENTRY_BYTES + 5)
  }

  flags(i: number): number {
    return this.view.getUint16(i * ENTRY_BYTES + 6, true)
  }

  durationMs(i: number): number {
    return this.view.getFloat32(i * ENTRY_BYTES + 8, true)
  }

  startedAt(i: number): number {
    return this.view.getFloat64(i * ENTRY_BYTES + 12, true)
  }

  entry(i: number): HistoryEntry {
    const entry: HistoryEntry = {
      seq: this.seq(i),
      status: this.status(i),
      durationMs: this.durationMs(i),
      startedAt: this.startedAt(i),
      attempts: this.attempts(i),
    }
    const flags = this.flags(i)
    if (flags & FLAG_FIRST_ON_WORKER) entry.firstOnWorker = true
    if (flags & FLAG_PARTIAL_DURATION) entry.partialDuration = true
    return entry
  }

  /** The same window with `flag` set on the entries whose seq is in `seqs` (a schema migration). */
  static withFlag(bytes: Uint8Array, seqs: ReadonlySet<number>, flag: number): Uint8Array {
    const out = bytes.slice()
    const window = new HistoryWindow(out)
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
    for (let i = 0; i < window.length; i++) if (seqs.has(window.seq(i))) view.setUint16(i * ENTRY_BYTES + 6, window.flags(i) | flag, true)
    return out
  }

  entries(): HistoryEntry[] {
    return Array.from({ length: this.length }, (_, i) => this.entry(i))
  }

  /**
   * A new window with `entry` added in seq order and the oldest runs dropped beyond `limit`.
   * Runs sharing a store can finish out of order, so the entry goes after the last older run
   * (almost always the end). Returns the dropped sequence numbers so their detail records can go too.
   */
  static append(previous: Uint8Array | undefined, entry: HistoryEntry, limit: number): { bytes: Uint8Array; dropped: number[] } {
    const old = previous ? new HistoryWindow(previous) : undefined
    const oldLength = old?.length ?? 0
    let insertAt = oldLength
    while (insertAt > 0 && old!.seq(insertAt - 1) > entry.seq) insertAt--
    const merged = new Uint8Array((oldLength + 1) * ENTRY_BYTES)
    if (old) {
      merged.set(old.bytes.subarray(0, insertAt * ENTRY_BYTES), 0)
      merged.set(old.bytes.subarray(insertAt * ENTRY_BYTES, oldLength * ENTRY_BYTES), (insertAt + 1) * ENTRY_BYTES)
    }
    const view = new DataView(merged.buffer)
    const at = insertAt * ENTRY_BYTES
    view.setUint32(at, entry.seq, true)
    view.setUint8(at + 4, statusCode(entry.status))
    view.setUint8(at + 5, Math.min(255, Math.max(0, entry.attempts)))
    view.setUint16(at + 6, flagsOf(entry), true)
    view.setFloat32(at + 8, entry.durationMs, true)
    view.setFloat64(at + 12, entry.startedAt, true)
    const drop = Math.max(0, oldLength + 1 - Math.max(1, limit))
    const dropped: number[] = []
    for (let i = 0; i < drop; i++) dropped.push(view.getUint32(i * ENTRY_BYTES, true))
    return { bytes: merged.slice(drop * ENTRY_BYTES), dropped }
  }

  /**
   * `append` for many entries at once (a bulk import): one copy instead of one per entry. Entries
   * are merged in seq order with the window's; the oldest beyond `limit` are dropped and returned.
   */
  static appendMany(previous: Uint8Array | undefined, entries: readonly HistoryEntry[], limit: number): { bytes: Uint8Array; dropped: number[] } {
    const oldLength = previous ? Math.floor(previous.byteLength / ENTRY_BYTES) : 0
    const total = oldLength + entries.length
    const merged = new Uint8Array(total * ENTRY_BYTES)
    if (previous) merged.set(previous.subarray(0, oldLength * ENTRY_BYTES), 0)
    const view = new DataView(merged.buffer)
    entries.forEach((entry, i) => {
      const at = (oldLength + i) * ENTRY_BYTES
      view.setUint32(at, entry.seq, true)
      view.setUint8(at + 4, statusCode(entry.status))
      view.setUint8(at + 5, Math.min(255, Math.max(0, entry.attempts)))
      view.setUint16(at + 6, flagsOf(entry), true)
      view.setFloat32(at + 8, entry.durationMs, true)
      view.setFloat64(at + 12, entry.startedAt, true)
    })
    let sorted = true
    for (let i = 1; i < total && sorted; i++) sorted = view.getUint32(i * ENTRY_BYTES, true) >= view.getUint32((i - 1) * ENTRY_BYTES, true)
    let bytes = merged
    if (!sorted) {
      const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => view.getUint32(a * ENTRY_BYTES, true) - view.getUint32(b * ENTRY_BYTES, true) || a - b)
      bytes = new Uint8Array(merged.byteLength)
      order.forEach((from, to) => bytes.set(merged.subarray(from * ENTRY_BYTES, (from + 1) * ENTRY_BYTES), to * ENTRY_BYTES))
    }
    const drop = Math.max(0, total - Math.max(1, limit))
    const window = new HistoryWindow(bytes)
    const dropped = Array.from({ length: drop }, (_, i) => window.seq(i))
    return { bytes: bytes.slice(drop * ENTRY_BYTES), dropped }
  }

  /** A window holding only the entries whose seq is at least `minSeq`, in their order. */
  static since(bytes: Uint8Array, minSeq: number): Uint8Array {
    const window = new HistoryWindow(bytes)
    const kept: number[] = []
    for (let i = 0; i < window.length; i++) if (window.seq(i) >= minSeq) kept.push(i)
    const out = new Uint8Array(kept.length * ENTRY_BYTES)
    kept.forEach((index, at) => out.set(bytes.subarray(index * ENTRY_BYTES, (index + 1) * ENTRY_BYTES), at * ENTRY_BYTES))
    return out
  }
}

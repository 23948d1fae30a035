import { describe, test, expect } from 'vitest'
import type { HistoryEntry } from '../../../src/records.js'
import { ENTRY_BYTES, HistoryWindow, statusCode } from '../../../src/store/history-window.js'

const entry = (seq: number, overrides: Partial<HistoryEntry> = {}): HistoryEntry => ({
  seq,
  status: 'passed',
  durationMs: 10 + seq,
  startedAt: 1_700_000_000_000 + seq,
  attempts: 1,
  ...overrides,
})

function build(seqs: number[], limit: number): { bytes: Uint8Array | undefined; dropped: number[][] } {
  let bytes: Uint8Array | undefined
  const dropped: number[][] = []
  for (const seq of seqs) {
    const next = HistoryWindow.append(bytes, entry(seq), limit)
    bytes = next.bytes
    dropped.push(next.dropped)
  }
  return { bytes, dropped }
}

describe('HistoryWindow.append', () => {
  test('the first entry makes a window of one', () => {
    const { bytes, dropped } = HistoryWindow.append(undefined, entry(1), 3)
    expect(dropped).toEqual([])
    expect(bytes.byteLength).toBe(ENTRY_BYTES)
    expect(new HistoryWindow(bytes).entries()).toEqual([entry(1)])
  })

  test('trims at the limit, oldest first, and returns the dropped seqs', () => {
    const { bytes, dropped } = build([1, 2, 3, 4, 5], 3)
    expect(dropped).toEqual([[], [], [], [1], [2]])
    const window = new HistoryWindow(bytes!)
    expect(window.length).toBe(3)
    expect(window.entries().map((e) => e.seq)).toEqual([3, 4, 5])
    expect(bytes!.byteLength).toBe(3 * ENTRY_BYTES)
  })

  test('a limit of 1 keeps only the newest entry', () => {
    const { bytes, dropped } = build([7, 8, 9], 1)
    expect(dropped).toEqual([[], [7], [8]])
    expect(new HistoryWindow(bytes!).entries().map((e) => e.seq)).toEqual([9])
  })

  test('a lowered limit drops every entry beyond it at once', () => {
    const { bytes } = build([1, 2, 3, 4, 5], 10)
    const next = HistoryWindow.append(bytes, entry(6), 2)
    expect(next.dropped).toEqual([1, 2, 3, 4])
    expect(new HistoryWindow(next.bytes).entries().map((e) => e.seq)).toEqual([5, 6])
  })

  test('does not modify the previous window', () => {
    const { bytes } = build([1, 2], 2)
    const before = Uint8Array.from(bytes!)
    HistoryWindow.append(bytes, entry(3), 2)
    expect(bytes).toEqual(before)
  })
})

describe('HistoryWindow fields', () => {
  test('every field round-trips', () => {
    const entries: HistoryEntry[] = [
      { seq: 1, status: 'passed', durationMs: 12.5, startedAt: 1_732_245_901_234, attempts: 1 },
      { seq: 3, status: 'failed', durationMs: 0, startedAt: 0, attempts: 3 },
      { seq: 4, status: 'skipped', durationMs: 65_536, startedAt: 1.5, attempts: 0 },
      { seq: 4_294_967_295, status: 'todo', durationMs: 0.25, startedAt: Number.MAX_SAFE_INTEGER, attempts: 255 },
    ]
    let bytes: Uint8Array | undefined
    for (const e of entries) bytes = HistoryWindow.append(bytes, e, 10).bytes
    const window = new HistoryWindow(bytes!)
    expect(window.entries()).toEqual(entries)
    expect([0, 1, 2, 3].map((i) => window.statusCode(i))).toEqual([0, 1, 2, 3])
    expect(window.seq(3)).toBe(4_294_967_295)
    expect(window.attempts(3)).toBe(255)
  })

  test('durations are stored as 32-bit floats', () => {
    const window = new HistoryWindow(HistoryWindow.append(undefined, entry(1, { durationMs: 123.456 }), 1).bytes)
    expect(window.durationMs(0)).toBe(Math.fround(123.456))
  })

  test('attempts are clamped to a byte', () => {
    let bytes = HistoryWindow.append(undefined, entry(1, { attempts: 300 }), 5).bytes
    bytes = HistoryWindow.append(bytes, entry(2, { attempts: -2 }), 5).bytes
    expect(new HistoryWindow(bytes).entries().map((e) => e.attempts)).toEqual([255, 0])
  })

  test('an unknown status is stored as skipped', () => {
    expect(statusCode('exploded' as never)).toBe(2)
    const bytes = HistoryWindow.append(undefined, entry(1, { status: 'exploded' as never }), 5).bytes
    expect(new HistoryWindow(bytes).status(0)).toBe('skipped')
  })

  test('reads a window that is a view into a larger buffer, ignoring a trailing partial entry', () => {
    const { bytes } = build([1, 2], 5)
    const backing = new Uint8Array(7 + bytes!.byteLength + 5)
    backing.set(bytes!, 7)
    const window = new HistoryWindow(backing.subarray(7, 7 + bytes!.byteLength + 5))
    expect(window.length).toBe(2)
    expect(window.entries()).toEqual([entry(1), entry(2)])
  })

  test('an empty window has no entries', () => {
    expect(new HistoryWindow(new Uint8Array(0)).entries()).toEqual([])
  })
})

describe('HistoryWindow.since', () => {
  test('keeps the entries whose seq is at least minSeq', () => {
    const { bytes } = build([2, 4, 6, 8], 10)
    const at = (minSeq: number) => new HistoryWindow(HistoryWindow.since(bytes!, minSeq)).entries().map((e) => e.seq)
    expect(at(0)).toEqual([2, 4, 6, 8])
    expect(at(5)).toEqual([6, 8])
    expect(at(6)).toEqual([6, 8])
    expect(at(8)).toEqual([8])
    expect(at(9)).toEqual([])
    expect(new HistoryWindow(HistoryWindow.since(bytes!, 5)).entries()).toEqual([entry(6), entry(8)])
  })

  // Two runs sharing a store (CI shards, two terminals) write their results out of seq order:
  // run 2 may finish before run 1. Windows stay in seq order, so trimming drops the oldest runs.
  test('entries written out of seq order are kept in seq order', () => {
    let bytes: Uint8Array | undefined
    for (const seq of [2, 4, 3, 1, 5]) bytes = HistoryWindow.append(bytes, entry(seq), 10).bytes
    expect(new HistoryWindow(bytes!).entries().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(new HistoryWindow(HistoryWindow.since(bytes!, 3)).entries().map((e) => e.seq)).toEqual([3, 4, 5])
    const trimmed = HistoryWindow.append(bytes, entry(0), 3)
    expect(trimmed.dropped).toEqual([0, 1, 2])
    expect(new HistoryWindow(trimmed.bytes).entries().map((e) => e.seq)).toEqual([3, 4, 5])
  })

  test('returns a copy', () => {
    const { bytes } = build([1, 2], 10)
    const kept = HistoryWindow.since(bytes!, 0)
    kept[0] = 99
    expect(new HistoryWindow(bytes!).seq(0)).toBe(1)
  })
})

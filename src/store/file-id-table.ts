/**
 * A hash table of file ids stored with the plan index, so a planner finds a file's row without
 * building a `Map` of every stored id first: with 50,000 files that build costs 15–25 ms, a third
 * of the planning budget, while hashing the requested ids and probing a stored table costs a few.
 * Open addressing with linear probing; each slot holds row + 1, 0 marks an empty slot. The table
 * is at least twice the number of ids, so probes stay short.
 */

/** FNV-1a over UTF-16 code units: the same on every machine, cheap for short path-like keys. */
export function fileIdHash(id: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** The slot table for `ids` (row i holds ids[i]). */
export function buildFileIdSlots(ids: readonly string[]): Int32Array {
  let size = 16
  while (size < ids.length * 2) size *= 2
  const slots = new Int32Array(size)
  const mask = size - 1
  for (let row = 0; row < ids.length; row++) {
    let slot = fileIdHash(ids[row]!) & mask
    while (slots[slot] !== 0) slot = (slot + 1) & mask
    slots[slot] = row + 1
  }
  return slots
}

/**
 * Whether a stored `slots` can be probed for `rows` ids: a power-of-two size, every entry a row or
 * empty, and no more entries than rows (so a free slot ends every probe). A damaged table is
 * rebuilt by the caller rather than trusted.
 */
export function isUsableSlotTable(slots: Int32Array, rows: number): boolean {
  const size = slots.length
  if (size < 16 || (size & (size - 1)) !== 0 || size < rows * 2) return false
  let entries = 0
  for (let i = 0; i < size; i++) {
    const entry = slots[i]!
    if (entry < 0 || entry > rows) return false
    if (entry !== 0) entries++
  }
  return entries <= rows
}

/** The row of `id` in `ids`, or -1. `slots` must come from `buildFileIdSlots(ids)`. */
export function findFileIdRow(ids: readonly string[], slots: Int32Array, id: string): number {
  const mask = slots.length - 1
  let slot = fileIdHash(id) & mask
  for (;;) {
    const entry = slots[slot]!
    if (entry === 0) return -1
    if (ids[entry - 1] === id) return entry - 1
    slot = (slot + 1) & mask
  }
}

import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Which data file flakeline itself last closed. LMDB aborts the process on some damaged pages, and
 * an abort cannot be caught, so a runner's process opens a store without a check only when its data
 * file is the one flakeline last closed cleanly: `trusted` beside it holds that file's size,
 * modification time and inode. Anything else (a store restored from a CI cache, copied in, left by
 * a crash, changed by another program) is checked in a child process first (`store-soundness.ts`).
 */
const STAMP = 'trusted'

interface Stamp {
  size: number
  mtimeMs: number
  ino: number
}

function stampOf(file: string): Stamp | null {
  try {
    const stat = statSync(file)
    return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino }
  } catch {
    return null
  }
}

/** Whether the data file at `file` is what flakeline last closed. */
export function isTrusted(file: string): boolean {
  const now = stampOf(file)
  if (!now) return false
  try {
    const kept = JSON.parse(readFileSync(join(dirname(file), STAMP), 'utf8')) as Partial<Stamp>
    return kept.size === now.size && kept.mtimeMs === now.mtimeMs && kept.ino === now.ino
  } catch {
    return false
  }
}

/** Marks the data file at `file` as flakeline's own (after a clean close, or a check that found it sound). */
export function markTrusted(file: string): void {
  const now = stampOf(file)
  if (!now) return
  try {
    writeFileSync(join(dirname(file), STAMP), `${JSON.stringify(now)}\n`)
  } catch {
    // A read-only store stays untrusted: it is checked again next time, which costs only time.
  }
}

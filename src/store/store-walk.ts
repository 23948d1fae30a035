import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Packr, Unpackr } from 'msgpackr'
import { compareKeys, type Key } from 'lmdb'
import { STORE_DATABASES, type StoreDatabase } from './history-store.js'
import type { WalkFrame } from './salvage-protocol.js'
import { plural } from '../core/plural.js'

/** How one database of a store read in the walk. */
export interface DatabaseWalk {
  name: StoreDatabase
  /** Entries LMDB says the database holds (from its own page header, which damage can change too). */
  declared: number
  /** Keys the walk reached. */
  walked: number
  /** Damaged records: how many, and the first few (key and what is wrong). */
  damaged: number
  examples: string[]
  /** Where the walk broke off: LMDB threw, or the process walking it died or hung (each resumed once where possible). */
  breaks: string[]
  /** Whether the walk reached the database's end (after any resumption). */
  complete: boolean
}

/** The outcome of walking every record of a store in child processes. */
export interface StoreWalk {
  /** Null when the store opened; else its error code and message. */
  openError: { code: string; message: string } | null
  databases: DatabaseWalk[]
  /** Child processes that died (a signal, an abort) or hung. */
  crashes: number
  /** Child processes started. */
  children: number
  /** `probe` mode: how the aborted write went; null when it was not made or its process died making it. */
  probe: 'ok' | 'read-only' | null
  /** What the page check found wrong in LMDB's own structure (`page-check.ts`); null when it did not run (its process died first). */
  pages: string[] | null
}

export interface WalkOptions {
  /**
   * `check` sends only problems and counts; `probe` is `check` and an aborted write (LMDB's free
   * pages); `dump` also sends every record that passed its checks (to `onRecord`).
   */
  mode: 'check' | 'probe' | 'dump'
  onRecord?: (db: StoreDatabase, key: Key, value: unknown) => void
  /** A child that sends nothing for this long is taken as hung and killed. Default 60 s. */
  idleTimeoutMs?: number
}

// The compiled child beside this module (the package), from the CommonJS bundles in dist/cjs (Jest),
// or the built one when this module runs from sources (tests).
const CHILD_CANDIDATES = ['./salvage-child.js', '../src/store/salvage-child.js', '../../dist/src/store/salvage-child.js']

function childFile(): string {
  const tried = CHILD_CANDIDATES.map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  return tried.find((file) => existsSync(file)) ?? tried[0]!
}

/** Examples of damaged records kept per database. */
const EXAMPLES = 5
/** Times the walk of one database is resumed after it broke. */
const RESUMES = 3

interface ChildResult {
  /** Whether the child walked every database it was given. */
  finished: boolean
  /** The database the child was in when it stopped, if it did not finish. */
  stoppedIn: StoreDatabase | null
  /** The database LMDB stopped the walk of (the child ends there, so a fresh one goes on). */
  failed: StoreDatabase | null
  lastKey: Key | undefined
  /** How the child died or hung, when it did. */
  crashed: string | null
}

/**
 * Walks every record of the store in `dir` in a child process and checks each (`recordProblem`).
 * If LMDB stops the walk of a database (its read transaction is then spoiled), or the child dies
 * (LMDB aborts on some damaged pages) or hangs, what it sent is kept, the database it broke in is
 * resumed once in a new child after the last key it sent (the next key is counted damaged; in
 * `check` mode, which sends no keys, it is given up), and the databases after it are walked.
 * Never throws for a damaged store.
 */
export async function walkStore(dir: string, options: WalkOptions): Promise<StoreWalk> {
  const walk: StoreWalk = { openError: null, databases: [], crashes: 0, children: 0, probe: null, pages: null }
  const databases = new Map<StoreDatabase, DatabaseWalk>(STORE_DATABASES.map((name) => [name, { name, declared: 0, walked: 0, damaged: 0, examples: [], breaks: [], complete: false }]))
  const started = new Set<StoreDatabase>()
  let pending: StoreDatabase[] = [...STORE_DATABASES]
  let resume: { db: StoreDatabase; key: Key; jump: boolean } | null = null
  const resumed = new Map<StoreDatabase, number>()
  while (pending.length > 0) {
    walk.children++
    // Keys walked before this child began each database (a resumed database continues its count).
    const base = new Map<StoreDatabase, number>()
    const result = await runChild(dir, options, pending, resume, (frame) => {
      if (frame[0] === 'open') {
        walk.openError = { code: frame[1], message: frame[2] }
        return
      }
      if (frame[0] === 'done') return
      if (frame[0] === 'probe') {
        walk.probe = frame[1]
        return
      }
      if (frame[0] === 'pages') {
        walk.pages = frame[1]
        return
      }
      const db = databases.get(frame[1] as StoreDatabase)!
      switch (frame[0]) {
        case 'db':
          // A resumed database keeps the count of its first walk.
          if (!started.has(db.name)) db.declared = frame[2]
          started.add(db.name)
          base.set(db.name, db.walked)
          break
        case 'rec':
          db.walked++
          options.onRecord?.(db.name, frame[2], frame[3])
          break
        case 'bad':
          db.damaged++
          if (frame[4] === null) db.walked++
          if (db.examples.length < EXAMPLES) db.examples.push(`${frame[2]}: ${frame[3]}`)
          break
        case 'progress':
          db.walked = (base.get(db.name) ?? 0) + frame[2]
          break
        case 'fail':
          db.walked = (base.get(db.name) ?? 0) + frame[3]
          db.breaks.push(`LMDB stopped the walk after ${db.walked} records (${frame[2]})`)
          break
        case 'end':
          db.walked = (base.get(db.name) ?? 0) + frame[2]
          db.complete = true
          break
      }
    })
    if (walk.openError || result.finished) break
    if (result.crashed) walk.crashes++
    // A process can die between databases (an abort malloc noticed late): it stopped in the first one not finished.
    pending = pending.filter((name) => !databases.get(name)!.complete)
    if (pending.length === 0) break
    const stopped = result.stoppedIn && pending.includes(result.stoppedIn) ? result.stoppedIn : pending[0]!
    const db = databases.get(stopped)!
    if (result.crashed) db.breaks.push(`the walk's process ${result.crashed} after ${db.walked} records`)
    // Resume after the last key that arrived (the break was on the next one); a second break in the
    // same place jumps past the rest of that key's group; at most RESUMES times a database.
    const times = resumed.get(stopped) ?? 0
    if (result.lastKey !== undefined && times < RESUMES) {
      resumed.set(stopped, times + 1)
      const last = resume as { db: StoreDatabase; key: Key } | null
      resume = { db: stopped, key: result.lastKey, jump: last !== null && last.db === stopped && compareKeys(last.key, result.lastKey) === 0 }
      pending = pending.slice(pending.indexOf(stopped))
    } else {
      resume = null
      pending = pending.slice(pending.indexOf(stopped) + 1)
    }
  }
  walk.databases = [...databases.values()]
  return walk
}

/** One damaged part of a store as a walk found it: LMDB's `pages`, a database, or `free pages` for a write probe that died. */
export interface Damage {
  part: string
  detail: string
}

/**
 * What a walk found wrong: LMDB's page structure, one entry per damaged database, and a write probe
 * that died; empty when every page and record checks. One definition for `doctor` and the runner's check.
 */
export function walkDamage(walk: StoreWalk, mode: WalkOptions['mode'] = 'check'): Damage[] {
  const found: Damage[] = []
  if (walk.pages?.length) found.push({ part: 'pages', detail: walk.pages.join('; ') })
  else if (walk.pages === null && !walk.openError) found.push({ part: 'pages', detail: 'the page check\'s process died before it finished' })
  for (const db of walk.databases) {
    const parts: string[] = [...db.breaks]
    if (!db.complete) parts.push(db.breaks.length ? 'not read to its end' : 'never reached')
    if (db.damaged) parts.push(`${plural(db.damaged, 'damaged record')} (${db.examples.join('; ')})`)
    // LMDB's own count lives in a page header: a damaged one disagrees with what the walk found.
    if (db.complete && db.breaks.length === 0 && db.declared !== db.walked) parts.push(`LMDB counts ${db.declared} entries, the walk found ${db.walked}`)
    if (parts.length) found.push({ part: db.name, detail: parts.join('; ') })
  }
  if (mode === 'probe' && found.length === 0 && walk.probe === null) found.push({ part: 'free pages', detail: `a write the check made and aborted ${walk.crashes ? 'killed its process' : 'did not finish'}` })
  return found
}

function runChild(
  dir: string,
  options: WalkOptions,
  databases: readonly StoreDatabase[],
  after: { db: StoreDatabase; key: Key; jump: boolean } | null,
  onFrame: (frame: WalkFrame) => void,
): Promise<ChildResult> {
  const args = [childFile(), dir, options.mode, databases.join(',')]
  if (after) args.push(`${after.db}:${after.jump ? 'jump' : 'next'}:${new Packr({ useRecords: false }).pack(after.key).toString('hex')}`)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const unpackr = new Unpackr({ useRecords: false })
  let buffered: Buffer = Buffer.alloc(0)
  let stderr = ''
  let current: StoreDatabase | null = null
  let lastKey: Key | undefined = after?.key
  let finished = false
  let failed: StoreDatabase | null = null
  let hung = false
  const idle = options.idleTimeoutMs ?? 60_000
  let timer = setTimeout(() => kill(), idle)
  const kill = (): void => {
    hung = true
    child.kill('SIGKILL')
  }
  child.stdout.on('data', (chunk: Buffer) => {
    clearTimeout(timer)
    timer = setTimeout(() => kill(), idle)
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk
    let at = 0
    while (buffered.length - at >= 4) {
      const length = buffered.readUInt32LE(at)
      if (buffered.length - at - 4 < length) break
      const frame = unpackr.unpack(buffered.subarray(at + 4, at + 4 + length)) as WalkFrame
      at += 4 + length
      if (frame[0] === 'db') {
        current = frame[1] as StoreDatabase
        if (!(after && after.db === current)) lastKey = undefined
      } else if (frame[0] === 'rec') lastKey = frame[2]
      else if (frame[0] === 'end') current = null
      else if (frame[0] === 'fail') failed = current
      else if (frame[0] === 'done') finished = true
      onFrame(frame)
    }
    buffered = buffered.subarray(at)
  })
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8')
  })
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const crashed = finished || (failed && code === 0) ? null : hung ? `hung (no progress for ${idle} ms) and was stopped` : `ended with ${signal ?? `exit code ${code}`}${lmdbMessage(stderr)}`
      resolve({ finished, stoppedIn: current, failed, lastKey, crashed })
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({ finished: false, stoppedIn: current, failed, lastKey, crashed: `could not start (${error.message})` })
    })
  })
}

/** The last line LMDB printed before it aborted (`mdb.c:9977: Assertion ... failed`), bounded. */
function lmdbMessage(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((text) => text.trim())
    .filter(Boolean)
    .reverse()
    .find((text) => /mdb|lmdb|assert|corrupt|page/i.test(text))
  if (!line) return ''
  const clean = line.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
  return ` (${clean.length > 160 ? `${clean.slice(0, 157)}...` : clean})`
}

// The record walk of `doctor` and `doctor --repair`, run in a child process: LMDB aborts the
// process on some damaged pages (mdb.c assertions, SIGSEGV), which no try/catch can stop, so only
// this process ever walks a store that is not trusted. It writes length-prefixed MessagePack frames
// to stdout, each as soon as it is made, so the parent keeps everything sent before a crash.
// Usage: node salvage-child.js DIR check|probe|dump DB[,DB...] [DB:next|jump:AFTER_KEY_HEX]
// `probe` is `check` and then, where the store is writable, a write that is aborted: placing its
// pages walks LMDB's free-page list as a real write would, so damage there shows here too.
import { writeSync } from 'node:fs'
import { Packr, Unpackr } from 'msgpackr'
import { join } from 'node:path'
import { ABORT, compareKeys, open, type Key } from 'lmdb'
import { FlakelineError } from '../errors.js'
import { HistoryStore, STORE_DATABASES, STORE_FILE, type StoreDatabase } from './history-store.js'
import { checkPages } from './page-check.js'
import { recordProblem } from './record-checks.js'
import type { WalkFrame } from './salvage-protocol.js'

const packr = new Packr({ useRecords: false, moreTypes: false })

function send(frame: WalkFrame): void {
  const body = packr.pack(frame)
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32LE(body.length, 0)
  body.copy(out, 4)
  for (let at = 0; at < out.length; ) {
    try {
      at += writeSync(1, out, at)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
    }
  }
}

/** Walks one database; false when LMDB stopped it (the read transaction is then unusable, so the child ends). */
function walk(store: HistoryStore, db: StoreDatabase, dump: boolean, resume: Resume | undefined): boolean {
  let declared: number
  let keys: Iterable<Key>
  // A jump starts past every key that shares the last one's first part (the rest of a file's records).
  const jumpTo = resume?.jump && Array.isArray(resume.key) && typeof resume.key[0] === 'string' ? [`${resume.key[0]}\u0001`] : undefined
  try {
    ;({ declared, keys } = store.keysOf(db, jumpTo ?? resume?.key))
  } catch (error) {
    send(['db', db, 0])
    send(['fail', db, short(error), 0])
    return false
  }
  send(['db', db, declared])
  if (jumpTo) send(['bad', db, describeKey(resume!.key), 'the records after it with the same file were stepped over after the walk crashed twice', 'skipped'])
  let walked = 0
  let previous: Key | undefined = resume?.key
  let skipping = resume !== undefined && !jumpTo
  try {
    for (const key of keys) {
      if (skipping) {
        // Resuming after a break: past the last key the parent got, then past the one that broke the walk.
        if (compareKeys(key, resume!.key) <= 0) continue
        skipping = false
        send(['bad', db, describeKey(key), 'the walk broke on it before', 'skipped'])
        previous = key
        continue
      }
      walked++
      if (previous !== undefined && compareKeys(previous, key) >= 0) send(['bad', db, describeKey(key), 'keys out of order (a damaged page)', null])
      previous = key
      let value: unknown
      try {
        value = store.valueOf(db, key)
      } catch (error) {
        send(['bad', db, describeKey(key), `does not decode (${short(error)})`, null])
        continue
      }
      const problem = recordProblem(db, key, value)
      if (problem) send(['bad', db, describeKey(key), problem, null])
      else if (dump) send(['rec', db, key, value])
      else if (walked % 100 === 0) send(['progress', db, walked])
    }
  } catch (error) {
    send(['fail', db, short(error), walked])
    return false
  }
  send(['end', db, walked])
  return true
}

function describeKey(key: Key): string {
  const text = JSON.stringify(key) ?? String(key)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

function short(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.length > 300 ? `${text.slice(0, 297)}...` : text
}

interface Resume {
  db: string
  key: Key
  jump: boolean
}

function pageProblems(store: HistoryStore): string[] {
  try {
    const check = store.whileSnapshotHeld(checkPages)
    return check.more ? [...check.problems, `and ${check.more} more`] : check.problems
  } catch (error) {
    return [`the file could not be read (${short(error)})`]
  }
}

/** The aborted write of `probe`; 'read-only' where the store cannot be opened for writing. */
function probeWrite(dir: string): 'ok' | 'read-only' {
  let root: ReturnType<typeof open>
  try {
    root = open({ path: join(dir, STORE_FILE), maxDbs: 12, eventTurnBatching: false })
  } catch {
    return 'read-only'
  }
  // 256 KB that are never committed: enough pages that LMDB reads its free list to place them.
  root.transactionSync(() => {
    root.putSync('flakeline-write-probe', Buffer.alloc(256 * 1024))
    return ABORT
  })
  return 'ok'
}

async function main(): Promise<void> {
  const [dir, mode, list, resumeText] = process.argv.slice(2)
  const databases = (list ?? '').split(',').filter((name): name is StoreDatabase => (STORE_DATABASES as readonly string[]).includes(name))
  let resume: Resume | undefined
  if (resumeText) {
    const [db, jump, hex] = resumeText.split(':')
    resume = { db: db!, jump: jump === 'jump', key: new Unpackr({ useRecords: false }).unpack(Buffer.from(hex!, 'hex')) as Key }
  }
  let store: HistoryStore
  try {
    store = HistoryStore.open(dir!, { historyLimit: 1, readOnly: true })
  } catch (error) {
    send(['open', error instanceof FlakelineError ? error.code : 'FLAKELINE_E_STORE_OPEN', short(error)])
    return
  }
  // LMDB's page structure first, once per walk (not again in a resumed child): a page whose bounds
  // are damaged can read whole and still abort the first write into it.
  if (!resume) send(['pages', pageProblems(store)])
  for (const db of databases) {
    if (!walk(store, db, mode === 'dump', resume?.db === db ? resume : undefined)) process.exit(0)
  }
  if (mode === 'probe') {
    await store.close()
    send(['probe', probeWrite(dir!)])
  }
  send(['done'])
  // The parent only reads; there is nothing to flush, and closing a damaged environment can abort too.
  process.exit(0)
}

await main()

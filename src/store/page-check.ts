import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { META_LAYOUT, readMetaPages } from './lmdb-layout.js'

/**
 * LMDB's on-disk structure, checked in JavaScript from the newest meta page down every tree (the
 * free-page list, the main database and each named database) the way `mdb_chk` would.
 *
 * Why: LMDB reads and writes pages trusting their headers. Reading through a page whose bounds were
 * damaged can work (or return plausible records), and the first write into it then aborts the process
 * (`mdb.c: Assertion 'mp->mp_upper >= mp->mp_lower' failed in mdb_node_add()`): a store that a record
 * walk read whole still aborted the next run's recorder. So every page a tree reaches is checked here
 * for what LMDB's writes assume: its number, its type for its level, free-space bounds inside the page,
 * node offsets and sizes inside the page, child and overflow page numbers inside the file, every page
 * reached once, and the page and entry counts each database records.
 *
 * Run it inside a read transaction of the same store (the record walk's child does): the transaction
 * keeps writers in other processes from reusing the pages of the snapshot being checked.
 */

/** Page flags and node flags (mdb.c). */
const P_BRANCH = 0x01
const P_LEAF = 0x02
const P_OVERFLOW = 0x04
const P_META = 0x08
/** The type bits and the bits of page kinds flakeline's databases never have (LEAF2, sub-pages). */
const TYPE_BITS = 0x0f | 0x20 | 0x40
const F_BIGDATA = 0x01
const F_SUBDATA = 0x02
const F_DUPDATA = 0x04
const NODE_HEADER = 8
const DB_RECORD = 48
/** `md_flags` of a database with sorted duplicates (its leaves hold sub-pages or sub-databases). */
const MDB_DUPSORT = 0x04
/** The meta page's two database records: the free-page list, then the main database. */
const FREE_DBI = 0
const MAIN_DBI = 1
/** Problems reported in detail; the rest are counted. */
const EXAMPLES = 5

/** One database as its record (`MDB_db`) describes it. */
interface TreeRecord {
  name: string
  flags: number
  depth: number
  branchPages: number
  leafPages: number
  overflowPages: number
  entries: number
  root: number
}

export interface PageCheck {
  /** Pages reached from the newest meta page (trees and overflow pages). */
  pages: number
  /**
   * Of those, pages past the end of the file: a truncated file. (The file itself may end before the
   * meta page's last page: LMDB never writes pages it freed in the transaction that took them.)
   */
  pastEnd: number
  /** The highest page number reached (1 with no tree pages): where the file's data ends. */
  highestPage: number
  /** What is wrong, the first few in detail. */
  problems: string[]
  /** Problems beyond `problems`. */
  more: number
}

/** A 64-bit little-endian number; page numbers and counts fit in a double (files under 2^53 pages). */
function u64(page: Buffer, at: number): number {
  return page.readUInt32LE(at) + page.readUInt32LE(at + 4) * 2 ** 32
}

/** A signed 64-bit little-endian number (free-list entries). */
function i64(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at) + bytes.readInt32LE(at + 4) * 2 ** 32
}

/** A database record (`MDB_db`) at `at`. */
function treeRecord(name: string, bytes: Buffer, at: number): TreeRecord {
  return {
    name,
    flags: bytes.readUInt16LE(at + 4),
    depth: bytes.readUInt16LE(at + 6),
    branchPages: u64(bytes, at + 8),
    leafPages: u64(bytes, at + 16),
    overflowPages: u64(bytes, at + 24),
    entries: u64(bytes, at + 32),
    root: u64(bytes, at + 40),
  }
}

/** LMDB's "no page" (`P_INVALID`, all ones) as `u64` reads it. */
const NO_PAGE = 2 ** 64 - 1

/** Checks the LMDB file `file`; see the module comment. Throws only if the file cannot be read. */
export function checkPages(file: string): PageCheck {
  const fd = openSync(file, 'r')
  try {
    return new PageWalk(fd, fstatSync(fd).size).run()
  } finally {
    closeSync(fd)
  }
}

class PageWalk {
  private readonly result: PageCheck = { pages: 0, pastEnd: 0, highestPage: 1, problems: [], more: 0 }
  private pageSize = 0
  private headerSize = 0
  /** What free-space bounds and node offsets count from (`PAGEBASE`): the header's end in the 1.0 format, the page start in 0.9. */
  private base = 0
  private lastPage = 0
  private seen = new Uint8Array(0)
  private page = Buffer.alloc(0)
  /** An overflow page's header, read apart from `page`, which holds the leaf that names it. */
  private overflowHeader = Buffer.alloc(0)

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  private problem(text: string): void {
    if (this.result.problems.length < EXAMPLES) this.result.problems.push(text)
    else this.result.more++
  }

  /** Page `pgno` into the one page buffer (shorter past the end of the file). */
  private read(pgno: number): Buffer {
    const got = readSync(this.fd, this.page, 0, this.page.length, pgno * this.pageSize)
    return got === this.page.length ? this.page : this.page.subarray(0, got)
  }

  run(): PageCheck {
    if (this.size === 0) return this.result
    const metas = this.metas()
    if (!metas) return this.result
    const { meta, at } = metas
    this.lastPage = u64(meta, at + META_LAYOUT.lastPage)
    if (this.lastPage > 2 ** 32) {
      this.problem(`the meta page names page ${this.lastPage} as the last`)
      return this.result
    }
    // Pages past the end of the file are reported as such, never read, so only the file's pages are
    // tracked: a damaged meta naming page 2^31 must not cost 2 GB here.
    this.seen = new Uint8Array(Math.min(this.lastPage, Math.ceil(this.size / this.pageSize)) + 1)
    this.seen[0] = this.seen[1] = 1
    this.page = Buffer.alloc(this.pageSize)
    this.overflowHeader = Buffer.alloc(this.headerSize)
    const free = treeRecord('the free-page list', meta, at + META_LAYOUT.databases + FREE_DBI * DB_RECORD)
    const main = treeRecord('the main database', meta, at + META_LAYOUT.databases + MAIN_DBI * DB_RECORD)
    this.tree(free, (leaf, _node, data, size) => this.freeList(free, leaf, data, size))
    const named: TreeRecord[] = []
    this.tree(main, (leaf, node, data, size, key) => {
      if ((leaf.readUInt16LE(node + 4) & F_SUBDATA) === 0) return
      if (size !== DB_RECORD) return this.problem(`${main.name}: the record of database ${key} is ${size} bytes, not ${DB_RECORD}`)
      named.push(treeRecord(`database ${key}`, leaf, data))
    })
    for (const tree of named) this.tree(tree, () => {})
    return this.result
  }

  /** The newer of the two meta pages (the one LMDB uses) and where its fields start. */
  private metas(): { meta: Buffer; at: number } | null {
    const read = readMetaPages(this.fd)
    if (typeof read === 'string') {
      this.problem(read)
      return null
    }
    const { at, pageSize, metas } = read
    this.headerSize = at
    this.base = at === META_LAYOUT.magicOffsets[0] ? at : 0
    this.pageSize = pageSize
    const valid = metas.filter((page) => (page.readUInt16LE(at - 6) & P_META) !== 0)
    if (valid.length === 0) {
      this.problem('no meta page is valid')
      return null
    }
    const meta = valid.reduce((newest, page) => (u64(page, at + META_LAYOUT.txnId) > u64(newest, at + META_LAYOUT.txnId) ? page : newest))
    return { meta, at }
  }

  /**
   * Walks one tree from its root, checking each page; `onLeafNode` sees each leaf node whose bounds
   * held (the page, the node's offset, its data's offset and size, and its key as text).
   */
  private tree(tree: TreeRecord, onLeafNode: (leaf: Buffer, node: number, data: number, size: number, key: string) => void): void {
    if (tree.root === NO_PAGE) {
      if (tree.depth !== 0 || tree.entries !== 0) this.problem(`${tree.name}: no root page, yet depth ${tree.depth} and ${tree.entries} entries`)
      return
    }
    if (tree.depth < 1 || tree.depth > 64) return this.problem(`${tree.name}: impossible depth ${tree.depth}`)
    const counted = { branch: 0, leaf: 0, overflow: 0, entries: 0 }
    const dupsort = (tree.flags & MDB_DUPSORT) !== 0
    // Depth first, so at most depth × fan-out page numbers wait here.
    const pending: Array<[pgno: number, level: number]> = [[tree.root, 1]]
    while (pending.length > 0) {
      const [pgno, level] = pending.pop()!
      const where = `${tree.name}, page ${pgno}`
      if (!this.claim(pgno, where)) continue
      const page = this.read(pgno)
      if (page.length < this.pageSize) {
        this.result.pastEnd++
        this.problem(`${where}: past the end of the file (${this.size} bytes)`)
        continue
      }
      const expected = level < tree.depth ? P_BRANCH : P_LEAF
      if (u64(page, 0) !== pgno) {
        this.problem(`${where}: its header says page ${u64(page, 0)}`)
        continue
      }
      const flags = page.readUInt16LE(this.headerSize - 6)
      if ((flags & TYPE_BITS) !== expected) {
        this.problem(`${where}: flags 0x${flags.toString(16)}, expected a ${expected === P_BRANCH ? 'branch' : 'leaf'} page at level ${level} of ${tree.depth}`)
        continue
      }
      const lower = page.readUInt16LE(this.headerSize - 4) + this.base
      const upper = page.readUInt16LE(this.headerSize - 2) + this.base
      if (lower < this.headerSize || upper > this.pageSize || lower > upper || (lower - this.headerSize) % 2 !== 0 || lower === this.headerSize) {
        this.problem(`${where}: free-space bounds ${lower}..${upper} do not fit a page of ${this.pageSize} bytes with nodes`)
        continue
      }
      const count = (lower - this.headerSize) / 2
      if (expected === P_BRANCH) counted.branch++
      else counted.leaf++
      for (let i = 0; i < count; i++) {
        const node = page.readUInt16LE(this.headerSize + 2 * i) + this.base
        if (node < upper || node + NODE_HEADER > this.pageSize) {
          this.problem(`${where}: node ${i} at ${node}, outside the page's nodes (${upper}..${this.pageSize})`)
          break
        }
        const low = page.readUInt16LE(node) + page.readUInt16LE(node + 2) * 65536
        const nodeFlags = page.readUInt16LE(node + 4)
        const keySize = page.readUInt16LE(node + 6)
        const keyEnd = node + NODE_HEADER + keySize
        if (keyEnd > this.pageSize) {
          this.problem(`${where}: node ${i}'s key of ${keySize} bytes runs past the page`)
          break
        }
        if (expected === P_BRANCH) {
          // A branch node's page number: 32 bits in the size fields, the top 16 in the flags.
          const child = low + nodeFlags * 2 ** 32
          if (child < 2 || child > this.lastPage) {
            this.problem(`${where}: node ${i} points to page ${child}, outside 2..${this.lastPage}`)
            break
          }
          pending.push([child, level + 1])
          continue
        }
        counted.entries++
        if (nodeFlags & ~(F_BIGDATA | F_SUBDATA | F_DUPDATA) || (nodeFlags & F_DUPDATA && !dupsort)) {
          this.problem(`${where}: node ${i} has flags 0x${nodeFlags.toString(16)}`)
          break
        }
        if (nodeFlags & F_BIGDATA) {
          if (keyEnd + 8 > this.pageSize) {
            this.problem(`${where}: node ${i}'s overflow page number runs past the page`)
            break
          }
          counted.overflow += this.overflow(page, keyEnd, low, `${where}, node ${i}`)
          continue
        }
        if (keyEnd + low > this.pageSize) {
          this.problem(`${where}: node ${i}'s ${low} bytes of data run past the page`)
          break
        }
        onLeafNode(page, node, keyEnd, low, page.toString('latin1', node + NODE_HEADER, keyEnd))
      }
    }
    if (dupsort) return
    const declared = { branch: tree.branchPages, leaf: tree.leafPages, overflow: tree.overflowPages, entries: tree.entries }
    for (const kind of ['branch', 'leaf', 'overflow', 'entries'] as const) {
      if (counted[kind] !== declared[kind]) this.problem(`${tree.name}: it records ${declared[kind]} ${kind === 'entries' ? 'entries' : `${kind} pages`}, its tree holds ${counted[kind]}`)
    }
  }

  /** Marks a page reached; false (after a problem) when it is outside the file or reached before. */
  private claim(pgno: number, where: string): boolean {
    if (pgno < 2 || pgno > this.lastPage) {
      this.problem(`${where}: outside 2..${this.lastPage}`)
      return false
    }
    if (this.seen[pgno]) {
      this.problem(`${where}: reached twice`)
      return false
    }
    if (pgno < this.seen.length) this.seen[pgno] = 1
    this.result.pages++
    if (pgno > this.result.highestPage) this.result.highestPage = pgno
    return true
  }

  /** Checks the overflow pages a leaf node's value is on; returns how many they are. */
  private overflow(leaf: Buffer, at: number, size: number, where: string): number {
    const first = u64(leaf, at)
    const header = this.overflowHeader
    if (first < 2 || first > this.lastPage) {
      this.problem(`${where}: overflow page ${first} is outside 2..${this.lastPage}`)
      return 0
    }
    if (readSync(this.fd, header, 0, header.length, first * this.pageSize) < header.length) {
      this.result.pastEnd++
      this.problem(`${where}: overflow page ${first} is past the end of the file (${this.size} bytes)`)
      return 0
    }
    const pages = header.readUInt32LE(this.headerSize - 4)
    const flags = header.readUInt16LE(this.headerSize - 6)
    if (u64(header, 0) !== first || (flags & TYPE_BITS) !== P_OVERFLOW) {
      this.problem(`${where}: page ${first} is not the overflow page the node names (its header says page ${u64(header, 0)}, flags 0x${flags.toString(16)})`)
      return 0
    }
    if (pages < 1 || first + pages - 1 > this.lastPage || pages * this.pageSize - this.headerSize < size) {
      this.problem(`${where}: ${pages} overflow pages from page ${first} cannot hold ${size} bytes inside 2..${this.lastPage}`)
      return 0
    }
    if ((first + pages) * this.pageSize > this.size) {
      this.result.pastEnd++
      this.problem(`${where}: overflow pages ${first}..${first + pages - 1} run past the end of the file (${this.size} bytes)`)
      return pages
    }
    for (let pgno = first; pgno < first + pages; pgno++) {
      if (!this.claim(pgno, `${where}, overflow page ${pgno}`)) return 0
    }
    return pages
  }

  /**
   * A free-list record: a count, then that many entries (and maybe unused room), each a page number, a run (a negative
   * length, then the run's first page: lmdb-js's LMDB), or 0 (nothing); every page inside the file.
   */
  private freeList(tree: TreeRecord, leaf: Buffer, data: number, size: number): void {
    const count = size >= 8 ? u64(leaf, data) : -1
    // LMDB reserves a record before it knows the final list, so a record may hold more than it lists.
    if (count < 0 || size < 8 * (count + 1)) {
      this.problem(`${tree.name}: a record of ${size} bytes lists ${count} entries`)
      return
    }
    for (let i = 1; i <= count; i++) {
      const entry = i64(leaf, data + 8 * i)
      if (entry === 0) continue
      const run = entry < 0 ? -entry : 1
      if (entry < 0 && ++i > count) {
        this.problem(`${tree.name}: a run of ${run} pages without its first page`)
        return
      }
      const first = entry < 0 ? i64(leaf, data + 8 * i) : entry
      if (first < 2 || first + run - 1 > this.lastPage) {
        this.problem(`${tree.name}: lists ${run === 1 ? `page ${first}` : `pages ${first}..${first + run - 1}`}, outside 2..${this.lastPage}`)
        return
      }
    }
  }
}

import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 3000, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => resolve(error ? null : stdout))
  })
}

function lines(text: string | null): string[] {
  return text ? text.split('\n').map((line) => line.trim()).filter(Boolean) : []
}

/**
 * The top of the git work tree holding `root` (the nearest directory upwards with a `.git`), or
 * null when there is none. Found on the file system because every git process costs the planner a
 * fork of itself (several milliseconds for a large suite); null also means no git work is needed.
 */
export function workTreeTop(root: string): string | null {
  let dir: string
  try {
    dir = realpathSync(root)
  } catch {
    return null
  }
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir
    const parent = dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}

/** `git status --porcelain=v2 -z` output: the HEAD commit and the paths (from the top) it names. */
export function parseStatus(output: string): { head: string | null; paths: string[] } {
  let head: string | null = null
  const paths: string[] = []
  const fields = output.split('\0')
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (field.startsWith('# branch.oid ')) {
      const oid = field.slice('# branch.oid '.length)
      head = /^[0-9a-f]{7,64}$/.test(oid) ? oid : null
    } else if (field.startsWith('? ')) paths.push(field.slice(2))
    else if (field.startsWith('1 ')) paths.push(afterFields(field, 8))
    else if (field.startsWith('u ')) paths.push(afterFields(field, 10))
    else if (field.startsWith('2 ')) {
      // A rename: the new path, then the original path as the next field.
      paths.push(afterFields(field, 9))
      if (i + 1 < fields.length) paths.push(fields[++i]!)
    }
  }
  return { head, paths }
}

/** What follows the first `count` space-separated fields (a path may hold spaces). */
function afterFields(line: string, count: number): string {
  let at = 0
  for (let n = 0; n < count && at !== -1; n++) at = line.indexOf(' ', at) + 1 || -1
  return at === -1 ? '' : line.slice(at)
}

/** What the work tree looked like when a run started: the paths that differed from its commit, with a hash of their content. */
export interface WorkTreeState {
  commit: string | null
  /** Path (relative to the root) → sha1 of the content, `""` for a deleted file; absent when not known. */
  changedFiles?: Readonly<Record<string, string>>
}

/** Paths hashed at most (beyond, a run keeps no snapshot and the next plan falls back to "uncommitted"). */
export const SNAPSHOT_MAX_FILES = 2_000
/** Files larger than this are known by size and modification time instead of their content. */
const HASH_MAX_BYTES = 4 * 1024 * 1024

/** A content hash of `root/path`: sha1 of the bytes, size and mtime for big files, `""` when it does not exist. */
export function contentHash(root: string, path: string): string {
  try {
    const file = join(root, path)
    const stat = statSync(file)
    if (!stat.isFile()) return `dir`
    if (stat.size > HASH_MAX_BYTES) return `size:${stat.size}:${stat.mtimeMs}`
    return createHash('sha1').update(readFileSync(file)).digest('hex')
  } catch {
    return ''
  }
}

/** The paths (relative to `root`) git lists as different from HEAD, and HEAD itself; null outside git. */
async function uncommitted(root: string): Promise<{ head: string | null; paths: string[] } | null> {
  // GIT_DIR or GIT_WORK_TREE move the repository where a walk up the directories cannot see.
  const top = process.env.GIT_DIR || process.env.GIT_WORK_TREE ? undefined : workTreeTop(root)
  if (top === null) return null
  if (top === undefined) {
    const [head, diff, untracked] = await Promise.all([
      git(root, ['rev-parse', 'HEAD']),
      git(root, ['diff', '--name-only', '--relative', 'HEAD', '--']),
      git(root, ['ls-files', '--others', '--exclude-standard']),
    ])
    if (diff === null && untracked === null) return null
    return { head: head?.trim() || null, paths: [...lines(diff), ...lines(untracked)] }
  }
  // --no-optional-locks: status would otherwise refresh and rewrite the index, racing the user's own git.
  const status = await git(root, ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames', '--', '.'])
  if (status === null) return null
  const { head, paths } = parseStatus(status)
  const prefix = relative(top, realpathSync(root)).split(sep).join('/')
  const inRoot: string[] = []
  for (const path of paths) {
    if (prefix === '') inRoot.push(path)
    else if (path.startsWith(`${prefix}/`)) inRoot.push(path.slice(prefix.length + 1))
  }
  return { head, paths: inRoot }
}

/**
 * The work tree as a run starts: uncommitted paths with a hash of their content (flakeline's own
 * store left out), so the next plan can tell a file edited since this run from one that merely
 * stayed uncommitted. Undefined when there are too many to hash or outside git.
 */
export async function workTreeSnapshot(root: string, storeDir: string): Promise<Record<string, string> | undefined> {
  const state = await uncommitted(root)
  if (!state) return undefined
  const store = relative(root, storeDir).split(sep).join('/')
  const paths = state.paths.filter((path) => !(store && (path === store || path.startsWith(`${store}/`))))
  if (paths.length > SNAPSHOT_MAX_FILES) return undefined
  const snapshot: Record<string, string> = {}
  for (const path of paths) snapshot[path] = contentHash(root, path)
  return snapshot
}

/**
 * Paths (relative to `root`, `/`-separated) changed since the last recorded run, or null outside git.
 * Never rejects. Changed means the content differs from what the last run tested:
 * - a path uncommitted then is changed when its content hash differs from the one recorded (so a
 *   file left uncommitted for three runs, untouched, is not "changed" every run);
 * - a path uncommitted now but not then, or touched by the commits since the last run's commit, is changed;
 * - without a recorded snapshot (an older run, or too many files), every uncommitted path counts.
 * One `git status` gives HEAD and the uncommitted paths; a `git diff` for the commits in between
 * runs only when the last recorded run was on another commit.
 */
export async function changedPaths(root: string, last: WorkTreeState | null): Promise<Set<string> | null> {
  const now = await uncommitted(root)
  if (!now) return null
  const base = last?.commit && /^[0-9a-f]{7,64}$/.test(last.commit) ? last.commit : null
  const then = last?.changedFiles
  const changed = new Set<string>()
  const candidates = new Set(now.paths)
  for (const path of Object.keys(then ?? {})) candidates.add(path)
  const moved = base !== null && (now.head === null || (!now.head.startsWith(base) && !base.startsWith(now.head)))
  const committed = new Set(moved ? lines(await git(root, ['diff', '--name-only', '--relative', base, 'HEAD', '--'])) : [])
  for (const path of committed) candidates.add(path)
  for (const path of candidates) {
    if (!then) {
      changed.add(path)
      continue
    }
    const before = then[path]
    if (before !== undefined) {
      // Uncommitted when the last run started: changed if its content is not what that run tested.
      if (contentHash(root, path) !== before) changed.add(path)
    } else changed.add(path)
  }
  return changed
}

/** The same from `git diff` against `base` and `git ls-files` (when the work tree cannot be found on disk). */
async function changedPathsByDiff(root: string, base: string): Promise<Set<string> | null> {
  const [diff, untracked] = await Promise.all([
    git(root, ['diff', '--name-only', '--relative', base, '--']),
    git(root, ['ls-files', '--others', '--exclude-standard']),
  ])
  const fallback = diff === null && base !== 'HEAD' ? await git(root, ['diff', '--name-only', '--relative', 'HEAD', '--']) : diff
  if (fallback === null && untracked === null) return null
  return new Set([...lines(fallback), ...lines(untracked)])
}

/** `cart.test.ts`, `cart.spec.js`, `cart.ts` → `cart`. */
export function fileStem(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  return name.replace(/\.(test|spec)(?=\.)/, '').replace(/\..*$/, '')
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash === -1 ? '' : path.slice(0, slash)
}

/** How a test file relates to the changes since the last run, and the change that says so. */
export interface ChangeOfFile {
  kind: 'changed' | 'related'
  /** The changed file and how it is linked: `src/cart.ts (same name)`. */
  because: string
}

/** Stems that name a folder's own test or entry point (`src/endOfMonth/test.ts`, `…/index.ts`). */
const FOLDER_STEMS = new Set(['index', 'test', 'tests', 'spec', 'main', 'mod'])

/**
 * How each test file relates to the changes: `changed` when the test file itself changed; `related`
 * when a changed source (a changed file that is not one of the tests) is linked to it, a cheap stand-in
 * for an import graph, by the layouts projects use:
 * - same name: `src/cart.ts` ↔ `tests/cart.test.ts` or `src/__tests__/cart.test.ts`;
 * - same folder, where the folder is the unit: `src/endOfMonth/index.ts` ↔ `src/endOfMonth/test.ts`
 *   (either file is the folder's index/test, or the test is named after its folder);
 * - `__tests__`: an `index.*` source and the tests in its folder's `__tests__/`.
 * A changed test never makes another test "related": tests are not sources.
 */
export function classifyChanges(testPaths: readonly string[], changed: ReadonlySet<string>): Array<ChangeOfFile | null> {
  const tests = new Set(testPaths)
  const testsByStem = new Map<string, string[]>()
  for (const path of testPaths) testsByStem.set(fileStem(path), [...(testsByStem.get(fileStem(path)) ?? []), path])
  const sameName = new Map<string, string>()
  const byDir = new Map<string, string[]>()
  for (const path of changed) {
    if (tests.has(path)) continue
    const dir = dirOf(path)
    byDir.set(dir, [...(byDir.get(dir) ?? []), path])
    const stem = fileStem(path)
    if (FOLDER_STEMS.has(stem)) continue
    // Several tests may share the stem (`test/duration/info.test.js`, `test/interval/info.test.js`):
    // the source belongs to those whose folders share most names with its own.
    const candidates = testsByStem.get(stem) ?? []
    const scores = candidates.map((test) => sharedFolders(dir, dirOf(test)))
    const best = Math.max(0, ...scores)
    candidates.forEach((test, i) => {
      if (scores[i] === best && !sameName.has(test)) sameName.set(test, path)
    })
  }
  return testPaths.map((path): ChangeOfFile | null => {
    if (changed.has(path)) return { kind: 'changed', because: path }
    const source = sameName.get(path)
    if (source) return { kind: 'related', because: `${source} (same name)` }
    const stem = fileStem(path)
    const dir = dirOf(path)
    const folder = dir.slice(dir.lastIndexOf('/') + 1)
    const unitTest = FOLDER_STEMS.has(stem) || stem === folder
    for (const neighbour of byDir.get(dir) ?? []) {
      if (unitTest || FOLDER_STEMS.has(fileStem(neighbour))) return { kind: 'related', because: `${neighbour} (same folder)` }
    }
    if (folder === '__tests__') {
      for (const neighbour of byDir.get(dirOf(dir)) ?? []) if (fileStem(neighbour) === 'index') return { kind: 'related', because: `${neighbour} (its __tests__ folder)` }
    }
    return null
  })
}

/** Folder names two directories share (`src/duration` and `test/duration` share one). */
function sharedFolders(a: string, b: string): number {
  const names = new Set(a.split('/').filter(Boolean))
  return b.split('/').filter((name) => name && names.has(name)).length
}

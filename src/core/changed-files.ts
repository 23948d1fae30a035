import { execFile } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import type { FileChange } from '../scheduling/plan-types.js'

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

/**
 * Paths (relative to `root`, `/`-separated) changed since `sinceCommit` — committed, staged,
 * unstaged or untracked — or since HEAD when the commit is unknown or missing (a shallow CI clone).
 * Null outside git. Never rejects.
 *
 * One `git status` gives HEAD, the staged, unstaged and untracked paths; a `git diff` for the
 * commits in between runs only when the last recorded run was on another commit.
 */
export async function changedPaths(root: string, sinceCommit: string | null): Promise<Set<string> | null> {
  // GIT_DIR or GIT_WORK_TREE move the repository where a walk up the directories cannot see.
  const top = process.env.GIT_DIR || process.env.GIT_WORK_TREE ? undefined : workTreeTop(root)
  if (top === null) return null
  const base = sinceCommit && /^[0-9a-f]{7,64}$/.test(sinceCommit) ? sinceCommit : null
  if (top === undefined) return changedPathsByDiff(root, base ?? 'HEAD')
  // --no-optional-locks: status would otherwise refresh and rewrite the index, racing the user's own git.
  const status = await git(root, ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames', '--', '.'])
  if (status === null) return changedPathsByDiff(root, base ?? 'HEAD')
  const { head, paths } = parseStatus(status)
  const prefix = relative(top, realpathSync(root)).split(sep).join('/')
  const changed = new Set<string>()
  for (const path of paths) {
    if (prefix === '') changed.add(path)
    else if (path.startsWith(`${prefix}/`)) changed.add(path.slice(prefix.length + 1))
  }
  if (base && head && !head.startsWith(base) && !base.startsWith(head)) {
    for (const path of lines(await git(root, ['diff', '--name-only', '--relative', base, 'HEAD', '--']))) changed.add(path)
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

/**
 * How each test file relates to the changes: `changed` when the test file itself changed, `related`
 * when a changed source file shares its stem (`src/cart.ts` ↔ `tests/cart.test.ts`, the naming
 * convention most projects follow), otherwise null. A cheap stand-in for an import graph.
 */
export function classifyChanges(testPaths: readonly string[], changed: ReadonlySet<string>): FileChange[] {
  const changedStems = new Set<string>()
  for (const path of changed) changedStems.add(fileStem(path))
  return testPaths.map((path) => (changed.has(path) ? 'changed' : changedStems.has(fileStem(path)) ? 'related' : null))
}

import { execFile } from 'node:child_process'
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
 * Paths (relative to `root`, `/`-separated) changed since `sinceCommit` — committed, staged,
 * unstaged or untracked — or since HEAD when the commit is unknown or missing (a shallow CI clone).
 * Null outside git. Never rejects.
 */
export async function changedPaths(root: string, sinceCommit: string | null): Promise<Set<string> | null> {
  const base = sinceCommit && /^[0-9a-f]{7,64}$/.test(sinceCommit) ? sinceCommit : 'HEAD'
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

import { relative, sep } from 'node:path'

/** Separator between describe titles and the test title in a test's identity. */
export const NAME_SEPARATOR = ' > '

/**
 * A file's identity: project name plus path relative to the root, so history is portable
 * across machines and checkouts (Jest's own cache keys by absolute path and is not).
 */
export function fileIdOf(project: string, relativePath: string): string {
  return project ? `${project}:${relativePath}` : relativePath
}

/**
 * The project a Vitest type-check run (`typecheck.enabled`) is recorded under: its results are not
 * the runtime file's (a type-check "test" takes 0 ms and has its own outcomes), so they get their own
 * history, `typecheck:tests/a.test.ts` (or `web:typecheck:…` in project `web`), as Vitest itself
 * keys them apart (`__typecheck__`).
 */
export function typecheckProject(project: string): string {
  return project ? `${project}:typecheck` : 'typecheck'
}

/** Path of `absolutePath` relative to `root`, with `/` separators on every platform. */
export function relativeTestPath(root: string, absolutePath: string): string {
  const rel = relative(root, absolutePath)
  return sep === '/' ? rel : rel.split(sep).join('/')
}

/** Characters below space, DEL and the C1 controls: never part of a path a person wrote. */
// eslint-disable-next-line no-control-regex
const PATH_CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Text from outside flakeline (a file, a peer, an option) as a message shows it, since a message may
 * reach a terminal or a CI log: at most `max` characters, every control and line separator shown
 * as an escape (quotes and backslashes too, as in JSON).
 */
export function shownText(text: string, max = 60): string {
  const short = text.length > max ? `${text.slice(0, max - 3)}...` : text
  return JSON.stringify(short)
    .slice(1, -1)
    .replace(/[\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** `shownText` in double quotes. */
export function quotedText(text: string): string {
  return `"${shownText(text)}"`
}

/** A path quoted for a message (see `quotedText`). */
export function quotedPath(path: string): string {
  return quotedText(path)
}

/**
 * What is wrong with `path` as a path relative to the root with `/` separators that stays inside
 * it, or null when nothing is: it must not be empty or longer than `maxChars`, absolute (`/x`,
 * `C:x`), hold `..`, `.` or empty segments, backslashes or control characters. Bundles and imports
 * refuse such paths, so nothing flakeline stores or later opens (`plan` reads pragmas from the
 * paths it plans) can name a file outside the project.
 */
export function relativePathProblem(path: string, maxChars: number): string | null {
  if (path.length === 0) return 'is empty'
  if (path.length > maxChars) return `is longer than ${maxChars} characters (${path.length})`
  if (PATH_CONTROL.test(path)) return `contains a control character: ${quotedPath(path)}`
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `is absolute (${quotedPath(path)}); paths are kept relative to the root`
  if (path.includes('\\')) return `contains a backslash (${quotedPath(path)}); paths are kept with / separators`
  for (const segment of path.split('/')) {
    if (segment === '..') return `leaves the root (${quotedPath(path)})`
    if (segment === '' || segment === '.') return `is not a normalised relative path (${quotedPath(path)})`
  }
  return null
}

/** A test's name within its file: describe titles and title joined, the same for Jest and Vitest. */
export function testNameOf(ancestors: readonly string[], title: string): string {
  return [...ancestors, title].join(NAME_SEPARATOR)
}

/**
 * Tells apart the tests of one file that share a full name (`it('adds')` written twice, a
 * `test.each` whose titles repeat): the first keeps its name, the second becomes `adds (2)`, the
 * third `adds (3)`, in the order the runner reports them, skipping any suffix a real test already
 * has. So each keeps a history of its own, stable across runs while the duplicates keep their order.
 * Both reporters and both importers name tests this way.
 */
export function distinctTestNames(names: readonly string[]): string[] {
  const taken = new Set(names)
  if (taken.size === names.length) return names.slice()
  const seen = new Set<string>()
  // Where each name's search for a free suffix goes on: every suffix below it is taken for good, so
  // 100,000 repeats of one title cost 100,000 steps, not 5 billion.
  const nextSuffix = new Map<string, number>()
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name)
      return name
    }
    let n = nextSuffix.get(name) ?? 2
    while (taken.has(`${name} (${n})`)) n++
    nextSuffix.set(name, n + 1)
    const distinct = `${name} (${n})`
    taken.add(distinct)
    return distinct
  })
}

/** `tests` with `distinctTestNames` applied (the same array when no name repeats). */
export function withDistinctNames<T extends { name: string }>(tests: readonly T[]): T[] {
  const names = distinctTestNames(tests.map((test) => test.name))
  return tests.map((test, i) => (names[i] === test.name ? test : { ...test, name: names[i]! }))
}

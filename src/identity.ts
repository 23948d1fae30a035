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
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name)
      return name
    }
    let n = 2
    while (taken.has(`${name} (${n})`)) n++
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

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

/** Path of `absolutePath` relative to `root`, with `/` separators on every platform. */
export function relativeTestPath(root: string, absolutePath: string): string {
  const rel = relative(root, absolutePath)
  return sep === '/' ? rel : rel.split(sep).join('/')
}

/** A test's name within its file: describe titles and title joined, the same for Jest and Vitest. */
export function testNameOf(ancestors: readonly string[], title: string): string {
  return [...ancestors, title].join(NAME_SEPARATOR)
}

import { parseDuration } from './duration-text.js'
import { PRIORITIES, type Priority } from './plan-types.js'

/** What a test file says about itself in its leading comments. */
export interface FilePragmas {
  priority: Priority | null
  deadlineMs: number | null
  /** Pragmas that were written but not understood, each with its line, for one warning. */
  problems: string[]
}

/** Bytes read from the top of a file: leading comments longer than this are not searched further. */
export const PRAGMA_READ_BYTES = 4096

const PRAGMA = /@flakeline-([A-Za-z-]*)(?:[ \t]+([^\s*]+))?/g

/**
 * The comments at the top of a file, before any code: an optional BOM and `#!` line, then any mix of
 * blank lines, `// line comments` and `/* block comments *\/` (Jest's docblock is the usual one).
 * Returns the comment text with line breaks kept, so problems can name their line. An unclosed
 * block comment (a file cut at `PRAGMA_READ_BYTES`) counts only as far as it was read.
 */
export function leadingComments(source: string): string {
  let text = source.startsWith('\uFEFF') ? source.slice(1) : source
  if (text.startsWith('#!')) text = text.slice(Math.max(0, text.indexOf('\n')))
  let at = 0
  let end = 0
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++
    if (text.startsWith('//', at)) {
      const lineEnd = text.indexOf('\n', at)
      at = lineEnd === -1 ? text.length : lineEnd
      end = at
    } else if (text.startsWith('/*', at)) {
      const close = text.indexOf('*/', at + 2)
      at = close === -1 ? text.length : close + 2
      end = at
    } else break
  }
  return text.slice(0, end)
}

/**
 * Reads `@flakeline-priority <critical|high|normal|low>` and `@flakeline-deadline <duration>` from a
 * file's leading comments. The last one of each kind wins; unknown `@flakeline-*` names and bad
 * values become problems (the file keeps its configured schedule), never errors.
 */
export function parsePragmas(source: string): FilePragmas {
  const comments = leadingComments(source)
  const pragmas: FilePragmas = { priority: null, deadlineMs: null, problems: [] }
  for (const match of comments.matchAll(PRAGMA)) {
    const line = comments.slice(0, match.index).split('\n').length
    const [, name, value] = match
    if (name === 'priority') {
      if (value && (PRIORITIES as readonly string[]).includes(value)) pragmas.priority = value as Priority
      else pragmas.problems.push(`line ${line}: @flakeline-priority must be one of ${PRIORITIES.join(', ')}, got ${JSON.stringify(value ?? '')}`)
    } else if (name === 'deadline') {
      const ms = parseDuration(value)
      if (ms !== null) pragmas.deadlineMs = ms
      else pragmas.problems.push(`line ${line}: @flakeline-deadline must be a duration like "20s", "500ms" or "2m", got ${JSON.stringify(value ?? '')}`)
    } else {
      pragmas.problems.push(`line ${line}: unknown pragma @flakeline-${name} (known: @flakeline-priority, @flakeline-deadline)`)
    }
  }
  return pragmas
}

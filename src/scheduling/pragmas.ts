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

/** Values shown in a problem: as long as the longest valid one, in the alphabet of valid ones. */
const SHOWN_VALUE = /^[a-z0-9.]{1,10}$/

/**
 * A pragma's value as a problem may quote it. A problem names the file, line and pragma; the value
 * itself is shown only when it looks like a mistyped valid value (at most 10 characters of
 * lowercase letters, digits and `.`, like "urgent" or "20sec"). Anything else (`SECRET_VALUE_42`,
 * `root:$6$...`) is described by its length, never echoed: a warning goes to CI logs, and a
 * pragma-looking line may be in a file that holds a secret.
 */
function shownValue(value: string | undefined): string {
  if (!value) return 'no value'
  return SHOWN_VALUE.test(value) ? JSON.stringify(value) : `a value of ${value.length} character${value.length === 1 ? '' : 's'} (not shown)`
}

/** A pragma name as a problem shows it: the regex allows only letters and `-`, but not how many. */
function shownName(name: string): string {
  return name.length <= 24 ? name : `${name.slice(0, 23)}…`
}

/**
 * Reads `@flakeline-priority <critical|high|normal|low>` and `@flakeline-deadline <duration>` from a
 * file's leading comments. The last one of each kind wins; unknown `@flakeline-*` names and bad
 * values become problems (the file keeps its configured schedule), never errors. A problem quotes
 * a bad value only when it is short and plain (`shownValue`).
 */
export function parsePragmas(source: string): FilePragmas {
  const comments = leadingComments(source)
  const pragmas: FilePragmas = { priority: null, deadlineMs: null, problems: [] }
  for (const match of comments.matchAll(PRAGMA)) {
    const line = comments.slice(0, match.index).split('\n').length
    const [, name, value] = match
    if (name === 'priority') {
      if (value && (PRIORITIES as readonly string[]).includes(value)) pragmas.priority = value as Priority
      else pragmas.problems.push(`line ${line}: @flakeline-priority must be one of ${PRIORITIES.join(', ')}, got ${shownValue(value)}`)
    } else if (name === 'deadline') {
      const ms = parseDuration(value)
      if (ms !== null) pragmas.deadlineMs = ms
      else pragmas.problems.push(`line ${line}: @flakeline-deadline must be a duration like "20s", "500ms" or "2m", got ${shownValue(value)}`)
    } else {
      pragmas.problems.push(`line ${line}: unknown pragma @flakeline-${shownName(name ?? '')} (known: @flakeline-priority, @flakeline-deadline)`)
    }
  }
  return pragmas
}

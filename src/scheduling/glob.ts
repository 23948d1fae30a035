/**
 * Path globs for the `deadlines` and `priorities` options, matched against a test file's path
 * relative to the root with `/` separators. A small subset is enough and keeps flakeline free of a
 * glob dependency: `**` (any number of directories), `*` (anything but `/`), `?` (one character
 * but `/`), `{a,b}` (alternatives, not nested) and `[abc]` / `[!abc]` (character classes).
 */
export interface PathGlob {
  readonly source: string
  readonly regexp: RegExp
}

/** Why `source` is not a glob flakeline understands, or null when it is one. */
export function globProblem(source: string): string | null {
  if (source.length === 0) return 'is empty'
  if (source.length > 1_000) return 'is longer than 1000 characters'
  let braces = 0
  let brackets = false
  for (const char of source) {
    if (brackets) {
      if (char === ']') brackets = false
      continue
    }
    if (char === '[') brackets = true
    else if (char === '{') {
      if (braces > 0) return 'nests braces'
      braces++
    } else if (char === '}') {
      if (braces === 0) return 'has an unmatched "}"'
      braces--
    }
  }
  if (brackets) return 'has an unclosed "["'
  if (braces > 0) return 'has an unclosed "{"'
  // A class can still make no regular expression (`[z-a]`, a range out of order).
  try {
    new RegExp(patternOf(source))
  } catch {
    return 'has a character class that is not valid (a range like [z-a] must go up)'
  }
  return null
}

const SPECIAL = /[\\^$.+()|]/

/** Compiles a glob; throws a plain Error with the reason for a glob `globProblem` refuses. */
export function compileGlob(source: string): PathGlob {
  const problem = globProblem(source)
  if (problem) throw new Error(`glob "${source}" ${problem}`)
  return { source, regexp: new RegExp(patternOf(source)) }
}

/** The regular expression source of a glob whose braces and brackets are balanced. */
function patternOf(source: string): string {
  const glob = source.startsWith('./') ? source.slice(2) : source
  let pattern = ''
  let inBraces = false
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!
    if (char === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a trailing `**` matches everything below.
        const slashAfter = glob[i + 2] === '/'
        pattern += slashAfter ? '(?:[^/]*/)*' : '.*'
        i += slashAfter ? 2 : 1
      } else pattern += '[^/]*'
    } else if (char === '?') pattern += '[^/]'
    else if (char === '[') {
      const end = glob.indexOf(']', i + 1)
      let body = glob.slice(i + 1, end)
      const negate = body.startsWith('!')
      if (negate) body = body.slice(1)
      pattern += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
      i = end
    } else if (char === '{') {
      inBraces = true
      pattern += '(?:'
    } else if (char === '}') {
      inBraces = false
      pattern += ')'
    } else if (char === ',' && inBraces) pattern += '|'
    else pattern += SPECIAL.test(char) ? `\\${char}` : char
  }
  return `^${pattern}$`
}

/** Whether `path` (relative, `/`-separated) matches. */
export function matchesGlob(glob: PathGlob, path: string): boolean {
  return glob.regexp.test(path)
}

import { safeText } from '../cli/format.js'

/**
 * Text from a test run as an inline code span that is safe in a GitHub Markdown table: bounded and
 * control characters shown as escapes (`safeText`), `|` escaped (GFM splits cells on it even in code),
 * and a backtick fence longer than any run of backticks inside. Inside code nothing else is markup:
 * no HTML, no links, no emphasis, and no `@mention` that would notify someone from a pull request.
 */
export function code(text: string, max = 120): string {
  const body = safeText(text, max).replace(/\|/g, '\\|')
  if (body === '') return '` `'
  const longest = Math.max(0, ...Array.from(body.matchAll(/`+/g), (match) => match[0].length))
  const fence = '`'.repeat(longest + 1)
  const pad = body.startsWith('`') || body.endsWith('`') || (body.startsWith(' ') && body.endsWith(' ')) ? ' ' : ''
  return `${fence}${pad}${body}${pad}${fence}`
}

/** A link around `label` when there is a URL (the label is already Markdown). */
export function link(label: string, url: string | null): string {
  return url ? `[${label}](${url.replace(/[()\s]/g, (char) => encodeURIComponent(char))})` : label
}

/** Where source links point: `https://github.com/OWNER/REPO/blob/SHA/`, from GitHub's variables. */
export function sourceLinkBase(env: NodeJS.ProcessEnv): string | null {
  const server = env.GITHUB_SERVER_URL || (env.GITHUB_REPOSITORY ? 'https://github.com' : '')
  if (!server || !env.GITHUB_REPOSITORY || !env.GITHUB_SHA) return null
  if (!/^[\w.-]+\/[\w.-]+$/.test(env.GITHUB_REPOSITORY) || !/^[0-9a-f]{7,64}$/i.test(env.GITHUB_SHA) || !/^https?:\/\/[^\s"'<>]+$/.test(server)) return null
  return `${server.replace(/\/$/, '')}/${env.GITHUB_REPOSITORY}/blob/${env.GITHUB_SHA}/`
}

/** The URL of a file (and line) in the repository, or null without a base. */
export function sourceUrl(base: string | null, repoPath: string, line: number | null): string | null {
  if (!base) return null
  const path = repoPath.split('/').map((segment) => encodeURIComponent(segment)).join('/')
  return `${base}${path}${line ? `#L${line}` : ''}`
}

/** A Markdown table; cells are Markdown already (use `code` for anything from a test run). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\n/g, ' ')).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** The hidden marker that lets a bot find its own comment and update it: `<!-- flakeline-report -->`. */
export function marker(name = 'flakeline-report'): string {
  return `<!-- ${name.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 100)} -->`
}

import { passedOnRetry } from '../evidence/outcomes.js'

/** A duration for people: `840 ms`, `2.4 s`, `3 min 5 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`
}

/** A timestamp as ISO text, or `—`. */
export function formatTime(epochMs: number | null | undefined): string {
  return epochMs ? new Date(epochMs).toISOString() : '—'
}

/** Characters a table cell keeps at most, whoever made it: one hostile name must not widen every row. */
const TABLE_CELL_CHARS = 200

/**
 * Left-aligned columns separated by two spaces; numbers in `right` columns align right. Every cell
 * goes through `safeText` (control characters escaped, at most `TABLE_CELL_CHARS`), so no cell can
 * start a line; callers bound names more tightly where a column should stay narrow.
 */
export function table(cells: string[][], right: ReadonlySet<number> = new Set()): string {
  if (cells.length === 0) return ''
  const rows = cells.map((row) => row.map((cell) => safeText(cell ?? '', TABLE_CELL_CHARS)))
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)))
  return rows
    .map((row) =>
      row
        .map((cell, column) => (right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** One character per outcome, newest last: `✓` passed, `✗` failed, `↻` passed on retry, `·` skipped, `…` todo. */
export function outcomeStrip(entries: ReadonlyArray<{ status: string; attempts: number }>): string {
  return entries
    .map(({ status, attempts }) =>
      status === 'passed' ? (passedOnRetry({ status, attempts }) ? '↻' : '✓') : status === 'failed' ? '✗' : status === 'todo' ? '…' : '·',
    )
    .join('')
}

/**
 * Text from a test run (names, paths, messages) made safe for a terminal table: control characters
 * shown as escapes (a newline in a name must not start a line a CI log reads as a command), and at
 * most `max` characters, elided in the middle so both ends stay readable. `--json` keeps the text whole.
 */
export function safeText(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => (char === '\n' ? '\\n' : char === '\t' ? '\\t' : char === '\r' ? '\\r' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`))
  if (escaped.length <= max) return escaped
  const keep = max - 1
  return `${escaped.slice(0, Math.ceil(keep / 2))}…${escaped.slice(escaped.length - Math.floor(keep / 2))}`
}

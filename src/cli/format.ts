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

/** Left-aligned columns separated by two spaces; numbers in `right` columns align right. */
export function table(rows: string[][], right: ReadonlySet<number> = new Set()): string {
  if (rows.length === 0) return ''
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

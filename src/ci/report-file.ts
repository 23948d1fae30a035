import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { writeAsideSync } from '../core/write-aside.js'
import type { RunReport } from './run-report.js'

/**
 * The report the reporter made at the end of the last run in CI, kept beside the store: what the run's
 * analysis changed and what the runner knew are gone once the run ends, and `flakeline report` right
 * after the test step should say exactly what the annotations and the job summary said.
 */
export const LAST_REPORT_FILE = 'last-run-report.json'
/** A report larger than this (tens of thousands of failures with long messages) is not kept. */
const MAX_BYTES = 16 * 1024 * 1024

/** Keeps `report` beside the store (written aside, then renamed: a reader never sees half a file). */
export function saveLastReport(dir: string, report: RunReport): void {
  const text = JSON.stringify(report)
  if (text.length > MAX_BYTES) return
  const file = join(dir, LAST_REPORT_FILE)
  writeAsideSync(file, text)
}

/** The kept report of run `runId`, or undefined (none kept, another run's, or unreadable). */
export function loadLastReport(dir: string, runId: string): RunReport | undefined {
  const file = join(dir, LAST_REPORT_FILE)
  try {
    if (!existsSync(file) || statSync(file).size > MAX_BYTES) return undefined
    const report = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunReport>
    return report.format === 'flakeline-run-report' && report.version === 1 && report.run?.id === runId ? (report as RunReport) : undefined
  } catch {
    return undefined
  }
}

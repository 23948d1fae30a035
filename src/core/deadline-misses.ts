import type { DeadlineMiss, DeadlineReport } from '../records.js'
import { compileScheduleRules, scheduleOf } from '../scheduling/file-schedule.js'
import type { Priority } from '../scheduling/plan-types.js'
import { PRAGMA_FILE_LIMIT, readPragmasInside } from './read-pragmas.js'

/** When one recorded file ran. */
export interface FileTiming {
  fileId: string
  path: string
  startedAt: number
  durationMs: number
}

/**
 * Checks every file of a finished run against its deadline (config glob or pragma, resolved the
 * way the planner resolves them): a file misses when it finished later than its deadline after the
 * run started. Undefined when no file had a deadline, so runs without deadlines store nothing.
 */
export function deadlineReport(
  files: readonly FileTiming[],
  runStartedAt: number,
  root: string,
  options: { deadlines: Readonly<Record<string, string | number>>; priorities: Readonly<Record<string, Priority>> },
): DeadlineReport | undefined {
  const rules = compileScheduleRules(options)
  const readFiles = files.length <= PRAGMA_FILE_LIMIT
  let checked = 0
  const missed: DeadlineMiss[] = []
  for (const file of files) {
    const { deadlineMs } = scheduleOf(file.path, rules, readFiles ? readPragmasInside(root, file.path) : null)
    if (deadlineMs === null) continue
    checked++
    const finishedMs = Math.max(0, file.startedAt + file.durationMs - runStartedAt)
    if (finishedMs > deadlineMs) missed.push({ fileId: file.fileId, deadlineMs, finishedMs: Math.round(finishedMs) })
  }
  return checked ? { checked, missed } : undefined
}

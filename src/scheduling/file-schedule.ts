import { compileGlob, matchesGlob, type PathGlob } from './glob.js'
import { parseDuration } from './duration-text.js'
import type { FilePragmas } from './pragmas.js'
import type { Priority } from './plan-types.js'

/** The `priorities` and `deadlines` options compiled once per plan. */
export interface ScheduleRules {
  priorities: ReadonlyArray<{ glob: PathGlob; priority: Priority }>
  deadlines: ReadonlyArray<{ glob: PathGlob; deadlineMs: number }>
}

export const NO_RULES: ScheduleRules = { priorities: [], deadlines: [] }

/** A file's priority and deadline, with where each came from (for reasons and `plan`). */
export interface FileSchedule {
  priority: Priority
  prioritySource: string | null
  deadlineMs: number | null
  deadlineSource: string | null
}

/** Compiles validated options (see `options.ts`, which rejects bad globs and durations first). */
export function compileScheduleRules(options: { priorities?: Readonly<Record<string, Priority>>; deadlines?: Readonly<Record<string, string | number>> }): ScheduleRules {
  return {
    priorities: Object.entries(options.priorities ?? {}).map(([glob, priority]) => ({ glob: compileGlob(glob), priority })),
    deadlines: Object.entries(options.deadlines ?? {}).flatMap(([glob, text]) => {
      const deadlineMs = parseDuration(text)
      return deadlineMs === null ? [] : [{ glob: compileGlob(glob), deadlineMs }]
    }),
  }
}

/**
 * The schedule of the file at `path` (relative to the root, `/`-separated). A pragma in the file
 * wins over the config, because it sits next to the tests it describes; among config globs the
 * first one that matches, in the order written, wins.
 */
export function scheduleOf(path: string, rules: ScheduleRules, pragmas: FilePragmas | null): FileSchedule {
  const priorityRule = pragmas?.priority ? null : rules.priorities.find((rule) => matchesGlob(rule.glob, path))
  const deadlineRule = pragmas?.deadlineMs ? null : rules.deadlines.find((rule) => matchesGlob(rule.glob, path))
  return {
    priority: pragmas?.priority ?? priorityRule?.priority ?? 'normal',
    prioritySource: pragmas?.priority ? 'pragma' : priorityRule ? `priorities["${priorityRule.glob.source}"]` : null,
    deadlineMs: pragmas?.deadlineMs ?? deadlineRule?.deadlineMs ?? null,
    deadlineSource: pragmas?.deadlineMs ? 'pragma' : deadlineRule ? `deadlines["${deadlineRule.glob.source}"]` : null,
  }
}

import type { RunRecord } from '../../records.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs, withStore } from '../command.js'
import { formatDuration, table } from '../format.js'
import { ExitCodes } from '../cli-io.js'
import { STABILITY_RUNS, stabilityLine, stabilityRuns, suiteStability } from '../../ci/suite-stability.js'
import type { HistoryStore } from '../../store/history-store.js'

/** The `--json` shape of one run; fields may be added in later versions, none removed. */
export function runSummary(run: RunRecord) {
  return {
    id: run.id,
    seq: run.seq,
    runner: run.runner,
    runnerVersion: run.runnerVersion,
    startedAt: new Date(run.startedAt).toISOString(),
    endedAt: run.endedAt ? new Date(run.endedAt).toISOString() : null,
    status: run.status,
    commit: run.code.commit,
    dirty: run.code.dirty,
    branch: run.code.branch,
    shard: run.shard ? `${run.shard.index}/${run.shard.count}` : null,
    workers: run.workers,
    files: run.files,
    tests: run.tests,
    passed: run.passed,
    failed: run.failed,
    skipped: run.skipped,
    todo: run.todo,
    flaky: run.flaky,
    durationMs: run.durationMs,
    deadlinesChecked: run.deadlines?.checked ?? 0,
    deadlineMisses: (run.deadlines?.missed ?? []).map((miss) => ({ file: miss.fileId, deadlineMs: miss.deadlineMs, finishedMs: miss.finishedMs })),
  }
}

const usage = 'flakeline stats [--json] [--dir DIR]'

/** The suite's stability over its recent runs (the analysis pool classifies the pass-rate and duration series). */
function stabilityOf(store: HistoryStore) {
  return suiteStability({ runs: stabilityRuns(store.recentRuns(STABILITY_RUNS)), files: () => store.listFiles(), testsOf: (fileId) => store.testsOf(fileId) })
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'one line per recorded run, newest last',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, STORE_OPTIONS, usage)
    return withStore(io, values.dir, async (store) => {
      const runs = store.listRuns()
      if (values.json) {
        io.stdout(`${JSON.stringify({ runs: runs.map(runSummary), ...(runs.length ? { stability: await stabilityOf(store) } : {}) }, null, 2)}\n`)
        return ExitCodes.OK
      }
      if (runs.length === 0) {
        io.stdout(`no runs recorded yet in ${store.dir}\n`)
        return ExitCodes.OK
      }
      const rows = [['run', 'runner', 'started', 'status', 'files', 'tests', 'passed', 'failed', 'skipped', 'flaky', 'duration', 'commit', 'deadlines missed']]
      for (const run of runs) {
        rows.push([
          run.id,
          `${run.runner} ${run.runnerVersion}`,
          new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 19),
          run.status,
          String(run.files),
          String(run.tests),
          String(run.passed),
          String(run.failed),
          String(run.skipped + run.todo),
          String(run.flaky),
          formatDuration(run.durationMs),
          run.code.commit ? `${run.code.commit.slice(0, 8)}${run.code.dirty ? '+' : ''}` : '—',
          run.deadlines ? `${run.deadlines.missed.length}/${run.deadlines.checked}${run.deadlines.missed.length ? ` (${run.deadlines.missed.map((miss) => miss.fileId).slice(0, 3).join(', ')})` : ''}` : '—',
        ])
      }
      io.stdout(`${table(rows, new Set([4, 5, 6, 7, 8, 9]))}\n\nsuite stability: ${stabilityLine(await stabilityOf(store))}\n`)
      return ExitCodes.OK
    })
  },
}

import { ErrorCodes, FlakelineError } from '../../errors.js'
import type { HistoryStore } from '../../store/history-store.js'
import type { Verdict } from '../../verdicts/types.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs, withStore } from '../command.js'
import { outcomeStrip, safeText, table } from '../format.js'

const usage = 'flakeline flaky [--json] [--min-confidence X] [--all] [--dir DIR]'

/** A verdict as `--json` prints it (fields may be added, none removed). */
export function verdictJson(verdict: Verdict) {
  return {
    file: verdict.fileId,
    test: verdict.test,
    verdict: verdict.verdict,
    confidence: round(verdict.confidence),
    flakyProbability: round(verdict.flakyProbability),
    since: verdict.since,
    expectedAttempts: round(verdict.expectedAttempts),
    evidence: verdict.evidence.map((evidence) => ({ signal: evidence.signal, value: round(evidence.value), detail: evidence.detail, contribution: round(evidence.contribution) })),
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

function parseConfidence(value: string | undefined): number {
  if (value === undefined) return 0
  const parsed = /^(0(\.\d+)?|1(\.0+)?)$/.test(value.trim()) ? Number(value) : Number.NaN
  if (Number.isNaN(parsed)) throw new FlakelineError(ErrorCodes.USAGE, `--min-confidence must be a number from 0 to 1, got ${JSON.stringify(value)}\nusage: ${usage}`)
  return parsed
}

/** The outcome strip of a test's newest runs, from its window. */
export function stripOf(store: HistoryStore, verdict: Pick<Verdict, 'fileId' | 'test'>, runs = 20): string {
  const history = store.testsOf(verdict.fileId).find((test) => test.name === verdict.test)
  return history ? outcomeStrip(history.entries.slice(-runs)) : ''
}

export const flakyCommand: Command = {
  name: 'flaky',
  summary: 'tests with a flaky verdict (--all: every verdict but stable), with confidence and evidence, and the clusters that fail together',
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...STORE_OPTIONS, 'min-confidence': { type: 'string' }, all: { type: 'boolean', default: false } }, usage)
    const minimum = parseConfidence(values['min-confidence'])
    return withStore(io, values.dir, (store) => {
      const verdicts = store.analysis
        .allVerdicts()
        .filter((verdict) => (values.all ? verdict.verdict !== 'stable' : verdict.verdict === 'flaky') && verdict.confidence >= minimum)
        .sort((a, b) => b.confidence - a.confidence || a.fileId.localeCompare(b.fileId) || a.test.localeCompare(b.test))
      const clusters = store.analysis.clusters()
      if (values.json) {
        io.stdout(`${JSON.stringify({ tests: verdicts.map(verdictJson), clusters }, null, 2)}\n`)
        return ExitCodes.OK
      }
      if (verdicts.length === 0) {
        const model = store.analysis.model()
        io.stdout(model ? `no ${values.all ? 'test with a verdict other than stable' : 'flaky test'}${minimum > 0 ? ` at confidence ${minimum} or more` : ''} (${model.runs} analyses so far)\n` : 'no analysis yet: a run with the flakeline reporter analyses the tests it ran\n')
        return ExitCodes.OK
      }
      const rows = [['confidence', 'verdict', 'outcomes', 'test', 'file', 'evidence']]
      for (const verdict of verdicts) {
        rows.push([
          `${Math.round(verdict.confidence * 100)}%`,
          verdict.verdict,
          stripOf(store, verdict),
          safeText(verdict.test, 60),
          safeText(verdict.fileId, 50),
          safeText(verdict.evidence[0]?.detail ?? '', 70),
        ])
      }
      const lines = [table(rows, new Set([0]))]
      if (clusters.length) {
        lines.push('', 'tests that fail together (a shared cause is likely):')
        for (const cluster of clusters.slice(0, 10)) {
          lines.push(`  ${safeText(cluster.detail, 100)}`)
          for (const member of cluster.tests.slice(0, 8)) lines.push(`    ${safeText(member.test, 70)}  (${safeText(member.fileId, 50)})`)
          if (cluster.tests.length > 8) lines.push(`    and ${cluster.tests.length - 8} more`)
        }
      }
      io.stdout(`${lines.join('\n')}\n`)
      return ExitCodes.OK
    })
  },
}

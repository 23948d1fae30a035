import { ErrorCodes, FlakelineError } from '../../errors.js'
import { ExitCodes } from '../cli-io.js'
import type { Command } from '../command.js'
import { STORE_OPTIONS, parseCommandArgs, withStore } from '../command.js'
import { safeText } from '../format.js'
import { stripOf, verdictJson } from './flaky.js'

const usage = 'flakeline explain <test> [--json] [--dir DIR]'

const WHAT: Record<string, string> = {
  stable: 'is stable',
  flaky: 'is flaky',
  failing: 'is failing: a real, consistent failure (a regression or a broken test)',
  recovered: 'has recovered: it was failing and passes again',
  new: 'is new: too little history to say',
}

export const explainCommand: Command = {
  name: 'explain',
  summary: "one test's verdict in words: its outcomes, the signals, and what each contributed",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, STORE_OPTIONS, usage)
    const query = positionals.join(' ').trim()
    if (!query) throw new FlakelineError(ErrorCodes.USAGE, `name a test (its full name, or part of it)\nusage: ${usage}`)
    return withStore(io, values.dir, (store) => {
      const all = store.analysis.allVerdicts()
      const exact = all.filter((verdict) => verdict.test === query || `${verdict.fileId} > ${verdict.test}` === query)
      const matches = exact.length ? exact : all.filter((verdict) => verdict.test.includes(query))
      if (matches.length === 0) throw new FlakelineError(ErrorCodes.NOT_FOUND, `no analysed test matches ${JSON.stringify(safeText(query, 80))} (see flakeline flaky --all)`)
      const clusters = store.analysis.clusters()
      if (values.json) {
        io.stdout(`${JSON.stringify({ tests: matches.map((verdict) => ({ ...verdictJson(verdict), clusters: clusters.filter((cluster) => cluster.tests.some((t) => t.fileId === verdict.fileId && t.test === verdict.test)).map((cluster) => cluster.id) })) }, null, 2)}\n`)
        return ExitCodes.OK
      }
      const stories = matches.slice(0, 5).map((verdict) => {
        const lines = [
          `${safeText(verdict.test, 200)}  (${safeText(verdict.fileId, 120)})`,
          `  ${WHAT[verdict.verdict] ?? verdict.verdict}, with ${Math.round(verdict.confidence * 100)}% confidence; flaky with probability ${Math.round(verdict.flakyProbability * 100)}%, since run #${verdict.since}`,
          `  outcomes  ${stripOf(store, verdict, 40)}  (newest last; ✓ passed, ✗ failed, ↻ passed on retry)`,
        ]
        if (verdict.expectedAttempts > 1.01) lines.push(`  it takes ${verdict.expectedAttempts.toFixed(2)} attempts a run on average, so the plan counts its file that many times`)
        if (verdict.evidence.length) {
          lines.push('  what the signals say (strongest first; + towards flaky, − away from it):')
          for (const evidence of verdict.evidence) {
            const sign = evidence.contribution >= 0 ? '+' : '−'
            lines.push(`    ${sign}${Math.abs(evidence.contribution).toFixed(2)}  ${evidence.signal}: ${safeText(evidence.detail, 160)}`)
          }
        } else lines.push('  no signal fired')
        for (const cluster of clusters.filter((c) => c.tests.some((t) => t.fileId === verdict.fileId && t.test === verdict.test))) {
          lines.push(`  fails together with ${cluster.tests.length - 1} other test${cluster.tests.length === 2 ? '' : 's'}: ${safeText(cluster.detail, 160)}`)
        }
        return lines.join('\n')
      })
      if (matches.length > stories.length) stories.push(`and ${matches.length - stories.length} more tests match; name one more exactly`)
      io.stdout(`${stories.join('\n\n')}\n`)
      return ExitCodes.OK
    })
  },
}

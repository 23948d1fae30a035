import type { KnownMark, LiveTest, RunView } from '../live-model.js'
import { outcomeMark, percent, verdictKey, type ClusterView, type OutcomeCell, type VerdictRow } from '../verdict-panel.js'
import { h } from './dom.js'

/** Signals shown at once per verdict; the rest open on a click. */
const EVIDENCE_SHOWN = 3

/** The outcome strip: one cell per run, newest last, with the symbol and a colour. */
export function outcomeStrip(outcomes: readonly OutcomeCell[]): HTMLElement {
  return h(
    'div',
    { class: 'strip', 'aria-label': `last ${outcomes.length} runs, newest last` },
    ...outcomes.map((cell) => {
      const mark = outcomeMark(cell)
      return h('span', { class: `cell ${mark.kind}`, title: `run ${cell.seq}: ${mark.label}` }, mark.symbol)
    }),
  )
}

/** The tag beside a test that ran with a known verdict: "known flaky 93%" (before the run) or "flaky 93%" (stored now). */
export function knownTag(mark: KnownMark, when: 'before' | 'now' = 'before'): HTMLElement {
  const sure = percent(mark.confidence)
  const title = when === 'before' ? `its verdict before this run: ${mark.verdict}, ${sure} confident` : `its stored verdict: ${mark.verdict}, ${sure} confident`
  return h('span', { class: `tag known-${mark.verdict}`, title }, `${when === 'before' ? 'known ' : ''}${mark.verdict} ${sure}`)
}

/**
 * The tag of a test in a run: its verdict before the run when the frame carried one ("known flaky
 * 93%"), else its stored verdict now when that is flaky or failing ("flaky 93%"), else none.
 */
export function verdictTag(known: KnownMark | null, now: Pick<VerdictRow, 'verdict' | 'confidence'> | undefined): HTMLElement | null {
  if (known && (known.verdict === 'flaky' || known.verdict === 'failing')) return knownTag(known)
  if (now && (now.verdict === 'flaky' || now.verdict === 'failing')) return knownTag(now, 'now')
  return null
}

function evidenceItem(evidence: VerdictRow['evidence'][number]): HTMLElement {
  const contribution = evidence.contribution === null ? null : `${evidence.contribution >= 0 ? '+' : '−'}${Math.abs(evidence.contribution).toFixed(2)}`
  return h(
    'li',
    {},
    h('span', { class: 'signal' }, evidence.signal),
    ' ',
    evidence.detail,
    contribution ? h('span', { class: `contribution ${evidence.contribution! >= 0 ? 'towards' : 'away'}`, title: 'added to the log-odds of flaky' }, ` ${contribution}`) : null,
  )
}

/** What a test did in the live run, beside its verdict: ✓, ✗ or ↻ as it finished. */
function ranNow(test: LiveTest): HTMLElement {
  const mark = outcomeMark(test)
  return h('span', { class: `ran-now ${mark.kind}`, title: 'how it ran in the live run' }, `this run: ${mark.symbol} ${mark.label}`)
}

function verdictItem(row: VerdictRow, ran: LiveTest | undefined, open: boolean): HTMLElement {
  const more = row.evidence.slice(EVIDENCE_SHOWN)
  return h(
    'li',
    { class: `verdict ${row.verdict}`, 'data-verdict': row.verdict, 'data-file-id': row.fileId, 'data-name': row.name, 'data-confidence': row.confidence.toFixed(3) },
    h(
      'div',
      { class: 'verdict-head' },
      h('span', { class: `badge verdict-${row.verdict}` }, row.verdict),
      h('span', { class: 'confidence', title: 'confidence' }, percent(row.confidence)),
      h('span', { class: 'test-name' }, row.name),
      ran ? ranNow(ran) : null,
    ),
    h('div', { class: 'location' }, row.path),
    row.outcomes.length ? outcomeStrip(row.outcomes) : null,
    row.reason ? h('div', { class: 'reason' }, row.reason) : null,
    row.evidence.length
      ? h(
          'ul',
          { class: 'evidence' },
          ...row.evidence.slice(0, EVIDENCE_SHOWN).map(evidenceItem),
          more.length ? h('li', {}, h('details', { open: open ? '' : null }, h('summary', {}, `${more.length} more signal${more.length === 1 ? '' : 's'}`), h('ul', { class: 'evidence' }, ...more.map(evidenceItem)))) : null,
        )
      : null,
  )
}

function clusterItem(cluster: ClusterView): HTMLElement {
  return h(
    'li',
    { class: 'cluster', 'data-cluster': cluster.id },
    h('div', {}, cluster.detail, h('span', { class: 'muted' }, ` · similarity ${percent(cluster.similarity)}`)),
    h('ul', {}, ...cluster.tests.map((member) => h('li', {}, h('span', { class: 'test-name' }, member.name), h('span', { class: 'location' }, ` ${member.fileId}`))), cluster.omitted ? h('li', { class: 'muted' }, `and ${cluster.omitted} more`) : null),
  )
}

/** What the flaky panel draws from: this run, the verdicts, the clusters, and what the store said. */
export interface FlakyPanel {
  /** Verdicts (by `verdictKey`) whose further evidence the reader opened. */
  opened: ReadonlySet<string>
  run: RunView | undefined
  verdicts: readonly VerdictRow[]
  clusters: readonly ClusterView[]
  /** Verdicts the API left out (its limit). */
  omitted: number
  /** Analyses the store's model learned from; null when the hub serves no verdicts. */
  analyses: number | null
  /** Definitive evidence from `/api/flaky`, shown only before the first analysis. */
  evidence: ReadonlyArray<{ fileId: string; name: string; lines: string[] }>
}

/**
 * The flaky panel: tests that passed on a retry in the run shown, then the stored verdicts (flaky
 * first by confidence, then failing, then recovered) with their outcome strips and evidence, and
 * the clusters. Every name and detail goes in as text. Returns how many tests it shows as flaky.
 */
export function flakyPanel(panel: FlakyPanel): { nodes: Node[]; flaky: number } {
  const { run, verdicts } = panel
  const byKey = new Map(verdicts.map((row) => [verdictKey(row.fileId, row.name), row]))
  const flakyKeys = new Set(verdicts.filter((row) => row.verdict === 'flaky').map((row) => verdictKey(row.fileId, row.name)))
  const nodes: Node[] = []
  const retried = run?.flaky ?? []
  if (retried.length) {
    nodes.push(
      h('h4', {}, run?.source === 'recorded' ? 'Passed on a retry in the run shown' : 'Passed on a retry in this run'),
      h(
        'ul',
        { class: 'retried-list' },
        ...retried.map((test) => {
          const key = verdictKey(test.fileId, test.name)
          flakyKeys.add(key)
          const known = run?.knownRan.get(key)?.known ?? null
          return h(
            'li',
            { 'data-name': test.name },
            h('span', { class: 'test-name' }, test.name),
            ' ',
            h('span', { class: 'location' }, test.path),
            ' ',
            h('span', { class: 'muted' }, test.attemptOutcomes.join(' → ')),
            ' ',
            verdictTag(known, byKey.get(key)) ?? h('span', { class: 'tag first', title: 'no flaky verdict before this run' }, 'first sign'),
          )
        }),
      ),
    )
  }
  if (verdicts.length) {
    const counts = ['flaky', 'failing', 'recovered'].map((kind) => `${verdicts.filter((row) => row.verdict === kind).length} ${kind}`).filter((count) => !count.startsWith('0 '))
    nodes.push(
      h('h4', {}, 'Verdicts'),
      h('p', { class: 'muted verdict-counts' }, counts.join(' · '), panel.analyses ? ` · learned from ${panel.analyses} analysed run${panel.analyses === 1 ? '' : 's'}` : '', panel.omitted ? ` · ${panel.omitted} more not shown (flakeline flaky --all lists them)` : ''),
      h('p', { class: 'muted legend' }, 'Outcome strips: newest run last; ✓ passed, ✗ failed, ↻ passed on a retry.'),
      h('ol', { class: 'verdicts' }, ...verdicts.map((row) => {
        const key = verdictKey(row.fileId, row.name)
        return verdictItem(row, run?.source === 'live' ? (run.knownRan.get(key) ?? run.tests.get(liveKeyOf(run, row))) : undefined, panel.opened.has(key))
      })),
    )
  } else if (panel.evidence.length) {
    nodes.push(
      h('h4', {}, 'Flaky evidence in the store'),
      h('p', { class: 'muted' }, 'No analysis yet: a run with the flakeline reporter (analysis on) gives each test a verdict.'),
      h('table', {}, h('tbody', {}, ...panel.evidence.map((row) => h('tr', {}, h('td', { class: 'test-name' }, row.name), h('td', { class: 'location' }, row.fileId), h('td', {}, row.lines.join('; ')))))),
    )
    for (const row of panel.evidence) flakyKeys.add(verdictKey(row.fileId, row.name))
  } else if (!retried.length) {
    nodes.push(h('p', { class: 'muted' }, panel.analyses === null ? 'No flaky evidence yet.' : panel.analyses === 0 ? 'No analysis yet: each run with the flakeline reporter gives its tests verdicts.' : 'No flaky, failing or recovered test: every verdict is stable or new.'))
  }
  if (panel.clusters.length) nodes.push(h('h4', {}, 'Fail together (a shared cause is likely)'), h('ul', { class: 'clusters' }, ...panel.clusters.map(clusterItem)))
  return { nodes, flaky: flakyKeys.size }
}

/** A live run's test of a verdict row (tests are kept by publisher, file and name): the first shard that ran it. */
function liveKeyOf(run: RunView, row: VerdictRow): string {
  for (const shard of run.shards.keys()) {
    const key = `${shard}\u0000${row.fileId}\u0000${row.name}`
    if (run.tests.has(key)) return key
  }
  return ''
}

import { LiveModel, runStatus, type RunView } from '../live-model.js'
import { recordedRunView, type RecordedRun } from '../recorded-run.js'
import { panelVerdicts, verdictKey, type VerdictsAnswer } from '../verdict-panel.js'
import { drawTrends, type RunPoint } from './charts.js'
import { HubConnection } from './connection.js'
import { fill, formatMs, h } from './dom.js'
import { flakyPanel, verdictTag } from './verdicts.js'

interface FlakyRow {
  fileId: string
  name: string
  passedOnRetry: number
  mixedOnSameCode: number
  runs: number
  failures: number
}

const token = new URLSearchParams(location.search).get('token') ?? ''
const model = new LiveModel()
let rendered = ''
let flakyRendered = ''
let connection: 'connecting' | 'live' | 'reconnecting' | 'unauthorized' = 'connecting'
let historyFlaky: FlakyRow[] | null = null
/** The stored verdicts, and `model.verdictSeq` when they were asked for: live verdicts after that are laid over them. */
let stored: { answer: VerdictsAnswer; readAt: number } | null = null
let verdictRequests = 0
let verdictsShown = 0
/** The last run in the store, shown while no run is live on this hub (a page opened after the run). */
let recorded: RunView | null = null
let latestLoaded = false

function api<T>(path: string): Promise<T | null> {
  const separator = path.includes('?') ? '&' : '?'
  return fetch(`${path}${separator}token=${encodeURIComponent(token)}`).then(
    (response) => (response.ok ? (response.json() as Promise<T>) : null),
    () => null,
  )
}

/** Loads the charts and the verdicts; resolves with how many runs the store holds (0 without a store). */
async function loadHistory(): Promise<number> {
  const request = ++verdictRequests
  const readAt = model.verdictSeq
  const [runs, verdicts] = await Promise.all([api<{ runs: RunPoint[] }>('/api/runs?limit=200'), api<VerdictsAnswer>('/api/verdicts')])
  const trends = document.getElementById('trends')!
  if (runs) drawTrends(trends, runs.runs)
  else trends.replaceChildren(h('p', { class: 'muted' }, 'This hub serves no history (start it with flakeline serve --dir).'))
  // Answers may come back out of order: the newest request wins.
  if (request > verdictsShown) {
    verdictsShown = request
    stored = verdicts ? { answer: verdicts, readAt } : null
    // Before the first analysis, the definitive evidence the store has is all there is to show.
    const flaky = verdicts?.analyses === 0 ? await api<{ tests: FlakyRow[] }>('/api/flaky?limit=50') : null
    historyFlaky = flaky?.tests ?? null
  }
  model.version++
  return runs?.runs.length ?? 0
}

/** The history, then the last recorded run when there is one (asked only then: no 404 before the first run). */
async function loadRecorded(): Promise<void> {
  const latest = (await loadHistory()) > 0 ? await api<RecordedRun>('/api/runs/latest') : null
  recorded = latest ? recordedRunView(latest) : null
  latestLoaded = true
  model.version++
}

function renderSummary(run: RunView | undefined): void {
  const main = document.querySelector('main')!
  main.dataset.state = connection
  const summary = document.getElementById('summary')!
  if (!run) {
    summary.dataset.runStatus = 'none'
    summary.dataset.source = 'none'
    const waiting = latestLoaded ? 'No run recorded in the store yet. Waiting for a run: start your tests with FLAKELINE_HUB and FLAKELINE_TOKEN set.' : 'Loading the last recorded run…'
    fill('summary', h('p', { class: 'muted' }, connection === 'unauthorized' ? '' : waiting))
    return
  }
  const status = runStatus(run)
  const shards = Array.from(run.shards.values())
  const runners = Array.from(new Set(shards.map((shard) => `${shard.runner} ${shard.runnerVersion}`.trim()).filter(Boolean)))
  const total = run.counts.passed + run.counts.failed + run.counts.skipped + run.counts.todo
  const elapsed = (run.endedAt ?? Date.now()) - run.startedAt
  const known = { flaky: 0, failing: 0, flakyFailed: 0 }
  for (const test of run.knownRan.values()) {
    if (test.known?.verdict === 'flaky') {
      known.flaky++
      if (test.status === 'failed') known.flakyFailed++
    } else if (test.known?.verdict === 'failing') known.failing++
  }
  Object.assign(summary.dataset, {
    source: run.source,
    runId: run.key,
    runStatus: status,
    tests: String(total),
    passed: String(run.counts.passed),
    failed: String(run.counts.failed),
    skipped: String(run.counts.skipped + run.counts.todo),
    knownFlaky: String(known.flaky),
    knownFailing: String(known.failing),
  })
  const running = Math.max(0, run.filesStarted - run.filesDone)
  const done = run.filesDone
  const ratio = run.filesStarted > 0 ? done / Math.max(run.filesStarted, done) : 0
  fill(
    'summary',
    h(
      'div',
      { class: 'run-title' },
      h('span', { class: `badge ${status}` }, status),
      run.source === 'recorded' ? h('span', { class: 'badge recorded' }, 'recorded') : null,
      h('h2', {}, run.key),
      h('span', { class: 'muted' }, runners.join(', '), shards.length > 1 ? ` · ${shards.length} shards` : ''),
    ),
    run.source === 'recorded'
      ? h(
          'p',
          { class: 'muted recorded-note' },
          `Not live: the last run recorded in the store${run.endedAt ? `, ended ${new Date(run.endedAt).toLocaleString()}` : ''}. A run that publishes to this hub takes its place.`,
        )
      : null,
    h('div', { class: 'progress' }, h('div', { class: `bar ${run.counts.failed ? 'failed' : 'passed'}`, style: `width:${Math.round(ratio * 100)}%` })),
    h(
      'div',
      { class: 'counts' },
      h('div', {}, h('b', {}, String(total)), ' tests'),
      h('div', { class: 'passed' }, h('b', {}, String(run.counts.passed)), ' passed'),
      h('div', { class: 'failed' }, h('b', {}, String(run.counts.failed)), ' failed'),
      h('div', { class: 'skipped' }, h('b', {}, String(run.counts.skipped + run.counts.todo)), ' skipped'),
      h('div', {}, h('b', {}, `${done}`), ` files done${running ? `, ${running} running` : ''}`),
      h('div', {}, h('b', {}, formatMs(elapsed)), status === 'running' && run.source === 'live' ? ' so far' : ''),
      known.flaky
        ? h('div', { class: 'known-flaky' }, h('b', {}, String(known.flaky)), ` known-flaky test${known.flaky === 1 ? '' : 's'} ran`, known.flakyFailed ? ` (${known.flakyFailed} failed)` : '')
        : null,
      known.failing ? h('div', { class: 'known-failing' }, h('b', {}, String(known.failing)), ` known-failing test${known.failing === 1 ? '' : 's'} ran`) : null,
    ),
    run.gaps || run.consoleDropped
      ? h('p', { class: 'warning' }, run.gaps ? `${run.gaps} frames were lost in transit. ` : '', run.consoleDropped ? `${run.consoleDropped} console lines were skipped to keep up.` : '')
      : null,
  )
}

function renderTimeline(run: RunView | undefined): void {
  if (!run || run.lanes.length === 0) {
    fill('timeline', h('p', { class: 'muted' }, 'No files started yet.'))
    return
  }
  const now = Date.now()
  const start = run.startedAt
  const end = Math.max(...run.lanes.map((span) => span.end ?? now), start + 1)
  const lanes = Array.from(new Set(run.lanes.map((span) => span.lane))).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  fill(
    'timeline',
    run.source === 'recorded' ? h('p', { class: 'muted' }, 'From the store: each file at its recorded start, as long as its recorded duration; the lanes are inferred, not the runner’s workers.') : null,
    ...lanes.map((lane) =>
      h(
        'div',
        { class: 'lane' },
        h('span', { class: 'lane-name' }, lane),
        h(
          'div',
          { class: 'lane-track' },
          ...run.lanes
            .filter((span) => span.lane === lane)
            .map((span) => {
              const left = ((span.start - start) / (end - start)) * 100
              const width = Math.max(0.5, (((span.end ?? now) - span.start) / (end - start)) * 100)
              const title = `${span.path} · ${formatMs((span.end ?? now) - span.start)}${span.status === 'running' ? ' (running)' : ''}`
              return h('div', { class: `span ${span.status}`, style: `left:${left.toFixed(2)}%;width:${width.toFixed(2)}%`, title }, span.path.split('/').pop() ?? span.path)
            }),
        ),
      ),
    ),
  )
}

/** The panel's verdicts: the stored ones with the live ones that came after them. */
function verdictRows() {
  const live = Array.from(model.runs.values(), (run) => run.verdicts).flat()
  return panelVerdicts(stored?.answer.tests ?? [], live, stored?.readAt ?? 0)
}

function renderFailures(run: RunView | undefined, verdicts: ReturnType<typeof verdictRows>): void {
  const failures = run?.failures ?? []
  document.getElementById('failures-count')!.textContent = String(failures.length)
  if (failures.length === 0) {
    fill('failures', h('p', { class: 'muted' }, run ? 'No failures.' : ''))
    return
  }
  // A live test carries its verdict from before the run; a recorded run's failures are matched with the stored verdicts.
  const now = new Map(verdicts.map((row) => [verdictKey(row.fileId, row.name), row]))
  fill(
    'failures',
    ...failures.map((test) => {
      const tag = verdictTag(test.known, run?.source === 'recorded' ? now.get(verdictKey(test.fileId, test.name)) : undefined)
      const kind = tag?.classList.contains('known-flaky') ? ' known-flaky' : tag?.classList.contains('known-failing') ? ' known-failing' : ''
      return h(
        'article',
        { class: `failure${kind}` },
        h('div', { class: 'failure-head' }, h('span', { class: 'test-name' }, test.name || 'the file itself, outside any test'), tag ? ' ' : null, tag),
        h('div', { class: 'location' }, test.location ? `${test.path}:${test.location.line}:${test.location.column}` : test.path),
        test.failureMessage ? h('pre', {}, test.failureMessage) : null,
      )
    }),
  )
}

function renderFlaky(run: RunView | undefined, verdicts: ReturnType<typeof verdictRows>): void {
  const evidence = (historyFlaky ?? []).map((test) => {
    const lines: string[] = []
    if (test.passedOnRetry) lines.push(`passed on retry in ${test.passedOnRetry} of ${test.runs} recorded runs`)
    if (test.mixedOnSameCode) lines.push(`passed and failed on the same code ${test.mixedOnSameCode}×`)
    if (test.failures) lines.push(`${test.failures} failures in ${test.runs} runs`)
    return { fileId: test.fileId, name: test.name, lines }
  })
  // Evidence a reader opened stays open while frames redraw the panel.
  const opened = new Set(
    Array.from(document.querySelectorAll('#flaky .verdict details[open]'), (details) => {
      const item = details.closest<HTMLElement>('.verdict')
      return verdictKey(item?.dataset.fileId ?? '', item?.dataset.name ?? '')
    }),
  )
  const panel = flakyPanel({
    opened,
    run,
    verdicts,
    clusters: stored?.answer.clusters ?? [],
    omitted: stored?.answer.omitted ?? 0,
    analyses: stored ? stored.answer.analyses : null,
    evidence,
  })
  document.getElementById('flaky-count')!.textContent = String(panel.flaky)
  fill('flaky', ...panel.nodes)
}

function renderDeadlines(run: RunView | undefined): void {
  const misses = run?.deadlineMisses ?? []
  document.getElementById('deadlines-section')!.hidden = misses.length === 0
  fill('deadlines', ...misses.map((miss) => h('div', { class: 'miss' }, h('b', {}, miss.fileId), ` finished at ${formatMs(miss.finishedMs)}, deadline ${formatMs(miss.deadlineMs)}`)))
}

function renderConsole(run: RunView | undefined): void {
  const lines = run?.console ?? []
  document.getElementById('console-section')!.hidden = lines.length === 0
  fill('console', ...lines.slice(-200).map((line) => h('div', { class: `line ${line.stream}` }, line.path ? `[${line.path}] ` : '', line.text)))
}

function render(): void {
  const key = model.current
  // A live run on this hub wins; else the last recorded one, read from the store.
  const run = (key ? model.runs.get(key) : undefined) ?? recorded ?? undefined
  const marker = `${model.version}:${connection}:${run ? `${run.source}:${runStatus(run)}` : ''}:${Math.floor(Date.now() / 1000)}`
  if (marker !== rendered) {
    rendered = marker
    // "connected" rather than "live": the run shown may be a recorded one.
    const pill = connection === 'unauthorized' ? 'wrong or missing token' : connection === 'live' ? 'connected' : connection
    fill('connection', h('span', { class: `pill ${connection}` }, pill))
    renderSummary(run)
    renderTimeline(run)
    const verdicts = verdictRows()
    renderFailures(run, verdicts)
    // Only when something it shows changed, not every second: a reader's opened evidence stays open.
    const flakyMarker = `${model.version}:${run ? `${run.source}:${run.key}` : ''}`
    if (flakyMarker !== flakyRendered) {
      flakyRendered = flakyMarker
      renderFlaky(run, verdicts)
    }
    renderDeadlines(run)
    renderConsole(run)
  }
  requestAnimationFrame(render)
}

function start(): void {
  if (!token) {
    connection = 'unauthorized'
    document.getElementById('token-help')!.hidden = false
    requestAnimationFrame(render)
    return
  }
  new HubConnection(token, {
    frame: (channel, type, payload) => {
      model.apply(channel, type, payload)
      if (channel === 'run' && type === 'run.end') void loadHistory()
    },
    notice: (type, payload) => {
      if (type === 'dropped' && typeof payload.count === 'number') model.consoleDropped(payload.count)
      if (type === 'gap') model.apply(String(payload.channel), 'gap', payload)
    },
    reset: () => {
      model.reset()
      void loadRecorded()
    },
    state: (state) => {
      connection = state
      if (state === 'unauthorized') document.getElementById('token-help')!.hidden = false
      model.version++
    },
  }).connect()
  void loadRecorded()
  requestAnimationFrame(render)
}

start()

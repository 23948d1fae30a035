import { LiveModel, runStatus, type RunView } from '../live-model.js'
import { recordedRunView, type RecordedRun } from '../recorded-run.js'
import { drawTrends, type RunPoint } from './charts.js'
import { HubConnection } from './connection.js'
import { fill, formatMs, h } from './dom.js'

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
let connection: 'connecting' | 'live' | 'reconnecting' | 'unauthorized' = 'connecting'
let historyFlaky: FlakyRow[] | null = null
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

/** Loads the charts and the flaky list; resolves with how many runs the store holds (0 without a store). */
async function loadHistory(): Promise<number> {
  const [runs, flaky] = await Promise.all([api<{ runs: RunPoint[] }>('/api/runs?limit=200'), api<{ tests: FlakyRow[] }>('/api/flaky?limit=50')])
  const trends = document.getElementById('trends')!
  if (runs) drawTrends(trends, runs.runs)
  else trends.replaceChildren(h('p', { class: 'muted' }, 'This hub serves no history (start it with flakeline serve --dir).'))
  historyFlaky = flaky?.tests ?? null
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
  Object.assign(summary.dataset, {
    source: run.source,
    runId: run.key,
    runStatus: status,
    tests: String(total),
    passed: String(run.counts.passed),
    failed: String(run.counts.failed),
    skipped: String(run.counts.skipped + run.counts.todo),
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

function renderFailures(run: RunView | undefined): void {
  const failures = run?.failures ?? []
  document.getElementById('failures-count')!.textContent = String(failures.length)
  if (failures.length === 0) {
    fill('failures', h('p', { class: 'muted' }, run ? 'No failures.' : ''))
    return
  }
  fill(
    'failures',
    ...failures.map((test) =>
      h(
        'article',
        { class: 'failure' },
        h('div', { class: 'test-name' }, test.name || 'the file itself, outside any test'),
        h('div', { class: 'location' }, test.location ? `${test.path}:${test.location.line}:${test.location.column}` : test.path),
        test.failureMessage ? h('pre', {}, test.failureMessage) : null,
      ),
    ),
  )
}

function renderFlaky(run: RunView | undefined): void {
  // One row per test: this run's retry evidence and the store's evidence together.
  const rows = new Map<string, { name: string; file: string; evidence: string[] }>()
  const row = (fileId: string, name: string, file: string) => {
    const key = `${fileId}\u0000${name}`
    let found = rows.get(key)
    if (!found) rows.set(key, (found = { name, file, evidence: [] }))
    return found
  }
  for (const flaky of run?.flaky ?? []) row(flaky.fileId, flaky.name, flaky.path).evidence.push(`this run: ${flaky.attemptOutcomes.join(' → ')}`)
  for (const test of historyFlaky ?? []) {
    const evidence = row(test.fileId, test.name, test.fileId).evidence
    if (test.passedOnRetry) evidence.push(`passed on retry in ${test.passedOnRetry} of ${test.runs} recorded runs`)
    if (test.mixedOnSameCode) evidence.push(`passed and failed on the same code ${test.mixedOnSameCode}×`)
    if (test.failures) evidence.push(`${test.failures} failures in ${test.runs} runs`)
  }
  document.getElementById('flaky-count')!.textContent = String(rows.size)
  const body = Array.from(rows.values(), (entry) => h('tr', {}, h('td', { class: 'test-name' }, entry.name), h('td', {}, entry.file), h('td', {}, entry.evidence.join('; '))))
  fill('flaky', body.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'test'), h('th', {}, 'file'), h('th', {}, 'evidence'))), h('tbody', {}, ...body)) : h('p', { class: 'muted' }, 'No flaky evidence yet.'))
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
    renderFailures(run)
    renderFlaky(run)
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

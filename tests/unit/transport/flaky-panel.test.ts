import { request } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { outcomeMark, panelVerdicts, percent, type LiveVerdict, type VerdictRow, type VerdictsAnswer } from '../../../src/dashboard/verdict-panel.js'
import { ErrorCodes } from '../../../src/errors.js'
import { HistoryStore } from '../../../src/store/history-store.js'
import { initialModel } from '../../../src/verdicts/meta-learner.js'
import type { Verdict, VerdictKind } from '../../../src/verdicts/types.js'
import { fileResult, recordRun, testRecord } from '../core/_fixtures.js'
import { useHubs } from './_net.js'

const hubs = useHubs()
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeline-verdicts-'))
  dirs.push(dir)
  return dir
}

/** An HTTP GET on 127.0.0.1; resolves with status and parsed JSON body. */
function getJson(port: number, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => (text += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end()
  })
}

function verdict(fileId: string, test: string, kind: VerdictKind, confidence: number, since = 1, detail = `${test} evidence`): Verdict {
  return {
    fileId,
    test,
    verdict: kind,
    confidence,
    evidence: kind === 'stable' || kind === 'new' ? [] : [
      { signal: 'passedOnRetry', value: 1, detail, contribution: 2.5 },
      { signal: 'stepChange', value: -0.5, detail: 'no step change', contribution: -0.4 },
    ],
    since,
    expectedAttempts: kind === 'flaky' ? 1.5 : 1,
    flakyProbability: kind === 'flaky' ? confidence : 0.1,
    reason: `${test} is ${kind}`,
  }
}

/**
 * Four runs: `reconnects` passes on a retry in three, `adds tax` always fails, `was broken` failed
 * twice then passes; then an analysis with a verdict for each, written as the recorder writes it.
 */
async function storeWithVerdicts(dir: string): Promise<void> {
  const store = HistoryStore.open(dir, { historyLimit: 200 })
  const retried = testRecord('reconnects', 'passed', { attempts: 2, attemptOutcomes: ['failed', 'passed'] })
  for (let run = 1; run <= 4; run++) {
    await recordRun(
      store,
      [
        fileResult('tests/net.test.js', 'passed', 10, [run === 2 ? testRecord('reconnects', 'passed') : retried, testRecord('heartbeat', 'passed')]),
        fileResult('tests/tax.test.js', 'failed', 10, [testRecord('adds tax', 'failed'), testRecord('rounds', run === 3 ? 'failed' : 'passed'), testRecord('later', 'skipped')]),
        fileResult('tests/fixed.test.js', run <= 2 ? 'failed' : 'passed', 10, [testRecord('was broken', run <= 2 ? 'failed' : 'passed')]),
      ],
      { id: `run-${run}` },
    )
  }
  const verdicts = [
    verdict('tests/net.test.js', 'reconnects', 'flaky', 0.93, 1, 'passed on retry in 3 of 4 runs'),
    verdict('tests/net.test.js', 'heartbeat', 'stable', 0.99),
    verdict('tests/tax.test.js', 'adds tax', 'failing', 0.88),
    // A flaky test in a file whose worst verdict is failing is still found.
    verdict('tests/tax.test.js', 'rounds', 'flaky', 0.61, 3),
    verdict('tests/tax.test.js', 'later', 'new', 1),
    verdict('tests/fixed.test.js', 'was broken', 'recovered', 0.7, 3),
  ]
  const clusters = [{ id: 'c1', tests: [{ fileId: 'tests/net.test.js', test: 'reconnects' }, { fileId: 'tests/tax.test.js', test: 'rounds' }], similarity: 0.8, detail: '2 tests fail in the same runs' }]
  await store.analysis.writeAnalysis(verdicts, clusters, { ...initialModel(), runs: 4 }, 4)
  await store.close()
}

describe('GET /api/verdicts', () => {
  test('flaky by confidence, then failing, then recovered, each with its evidence and outcome strip; the clusters', async () => {
    const dir = scratch()
    await storeWithVerdicts(dir)
    const server = await hubs.server({ storeDir: dir })
    const answer = await getJson(server.port, `/api/verdicts?token=${server.token}`)
    expect(answer.status).toBe(200)
    const body = answer.body as VerdictsAnswer
    expect(body).toMatchObject({ analyses: 4, kinds: ['flaky', 'failing', 'recovered'], omitted: 0, clustersOmitted: 0 })
    expect(body.tests.map((row) => [row.verdict, row.name, row.confidence])).toEqual([
      ['flaky', 'reconnects', 0.93],
      ['flaky', 'rounds', 0.61],
      ['failing', 'adds tax', 0.88],
      ['recovered', 'was broken', 0.7],
    ])
    const [reconnects] = body.tests
    expect(reconnects).toEqual({
      fileId: 'tests/net.test.js',
      path: 'tests/net.test.js',
      name: 'reconnects',
      verdict: 'flaky',
      confidence: 0.93,
      flakyProbability: 0.93,
      since: 1,
      expectedAttempts: 1.5,
      reason: 'reconnects is flaky',
      evidence: [
        { signal: 'passedOnRetry', value: 1, detail: 'passed on retry in 3 of 4 runs', contribution: 2.5 },
        { signal: 'stepChange', value: -0.5, detail: 'no step change', contribution: -0.4 },
      ],
      outcomes: [
        { seq: 1, status: 'passed', attempts: 2 },
        { seq: 2, status: 'passed', attempts: 1 },
        { seq: 3, status: 'passed', attempts: 2 },
        { seq: 4, status: 'passed', attempts: 2 },
      ],
    })
    expect(body.tests.map((row) => row.outcomes.map(outcomeMark).map((mark) => mark.symbol).join(''))).toEqual(['↻✓↻↻', '✓✓✗✓', '✗✗✗✗', '✗✗✓✓'])
    expect(body.clusters).toEqual([
      { id: 'c1', similarity: 0.8, detail: '2 tests fail in the same runs', tests: [{ fileId: 'tests/net.test.js', name: 'reconnects' }, { fileId: 'tests/tax.test.js', name: 'rounds' }], omitted: 0 },
    ])
  })

  test('?kind= picks the kinds (comma-separated or repeated), ?limit= caps the list and counts what it left out', async () => {
    const dir = scratch()
    await storeWithVerdicts(dir)
    const server = await hubs.server({ storeDir: dir })
    const get = (query: string) => getJson(server.port, `/api/verdicts?token=${server.token}&${query}`)
    expect((await get('kind=failing')).body.tests.map((row: VerdictRow) => row.name)).toEqual(['adds tax'])
    expect((await get('kind=stable,new')).body.tests.map((row: VerdictRow) => [row.verdict, row.name])).toEqual([
      ['new', 'later'],
      ['stable', 'heartbeat'],
    ])
    const both = await get('kind=recovered&kind=flaky')
    expect(both.body.kinds).toEqual(['flaky', 'recovered'])
    expect(both.body.tests.map((row: VerdictRow) => row.name)).toEqual(['reconnects', 'rounds', 'was broken'])
    const capped = await get('limit=1')
    expect(capped.body.tests.map((row: VerdictRow) => row.name)).toEqual(['reconnects'])
    expect(capped.body.omitted).toBe(3)
  })

  test('bad parameters are 400 FLAKELINE_E_USAGE naming them; no token is 401', async () => {
    const server = await hubs.server({ storeDir: join(scratch(), '.flakeline') })
    const bad = await getJson(server.port, `/api/verdicts?token=${server.token}&kind=flaky,haunted`)
    expect(bad.status).toBe(400)
    expect(bad.body.error).toEqual({ code: ErrorCodes.USAGE, message: 'kind must be one or more of flaky, failing, recovered, new, stable (comma-separated), got "haunted"' })
    const limit = await getJson(server.port, `/api/verdicts?token=${server.token}&limit=501`)
    expect(limit.status).toBe(400)
    expect(limit.body.error).toEqual({ code: ErrorCodes.USAGE, message: 'limit must be an integer from 1 to 500, got "501"' })
    const unauthorized = await getJson(server.port, '/api/verdicts')
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.body.error.code).toBe(ErrorCodes.HUB_AUTH)
  })

  test('before any store, and in a store no analysis has written, the lists are empty and analyses is 0', async () => {
    const empty = await hubs.server({ storeDir: join(scratch(), '.flakeline') })
    expect(await getJson(empty.port, `/api/verdicts?token=${empty.token}`)).toEqual({
      status: 200,
      body: { analyses: 0, kinds: ['flaky', 'failing', 'recovered'], tests: [], omitted: 0, clusters: [], clustersOmitted: 0 },
    })
    const dir = scratch()
    const store = HistoryStore.open(dir, { historyLimit: 200 })
    await recordRun(store, [fileResult('tests/a.test.js', 'failed', 10, [testRecord('breaks', 'failed')])])
    await store.close()
    const unanalysed = await hubs.server({ storeDir: dir })
    expect((await getJson(unanalysed.port, `/api/verdicts?token=${unanalysed.token}`)).body).toMatchObject({ analyses: 0, tests: [], clusters: [] })
  })

  test('a hub without a store answers 503 FLAKELINE_E_STORE_OPEN, like the other endpoints', async () => {
    const server = await hubs.server({})
    const answer = await getJson(server.port, `/api/verdicts?token=${server.token}`)
    expect(answer.status).toBe(503)
    expect(answer.body.error.code).toBe(ErrorCodes.STORE_OPEN)
  })
})

describe('the flaky panel', () => {
  const row = (name: string, kind: VerdictKind, confidence: number, since = 1): VerdictRow => ({
    fileId: 'f',
    path: 'tests/f.test.js',
    name,
    verdict: kind,
    confidence,
    flakyProbability: confidence,
    since,
    expectedAttempts: 1,
    reason: `${name} reason`,
    evidence: [{ signal: 'flipRate', value: 0.5, detail: 'flips', contribution: 1 }],
    outcomes: [{ seq: 1, status: 'failed', attempts: 1 }],
  })
  const live = (name: string, kind: VerdictKind, confidence: number, order: number): LiveVerdict => ({ fileId: 'f', name, verdict: kind, confidence, evidence: [{ signal: 'passedOnRetry', value: 1, detail: 'this run' }], order })

  test('lays the live verdicts that came after the stored ones over them, in arrival order; keeps the strips; drops stable and new', () => {
    const stored = [row('a', 'failing', 0.9), row('b', 'flaky', 0.5), row('c', 'flaky', 0.5, 4), row('d', 'recovered', 0.8)]
    const updates = [live('a', 'stable', 1, 2), live('b', 'failing', 0.7, 3), live('a', 'flaky', 0.8, 4), live('d', 'new', 1, 1), live('e', 'flaky', 0.99, 5)]
    const rows = panelVerdicts(stored, updates, 1)
    expect(rows.map((entry) => [entry.name, entry.verdict, entry.confidence])).toEqual([
      ['e', 'flaky', 0.99],
      ['a', 'flaky', 0.8],
      // Same confidence: the newer verdict first.
      ['c', 'flaky', 0.5],
      ['b', 'failing', 0.7],
      ['d', 'recovered', 0.8],
    ])
    const a = rows.find((entry) => entry.name === 'a')!
    expect(a.outcomes).toEqual([{ seq: 1, status: 'failed', attempts: 1 }])
    expect(a.evidence).toEqual([{ signal: 'passedOnRetry', value: 1, detail: 'this run', contribution: null }])
    // The stored sentence described another kind.
    expect(a.reason).toBe('')
    expect(rows.find((entry) => entry.name === 'e')).toMatchObject({ path: 'f', outcomes: [], reason: '' })
    // Read after every update: the store already has them.
    expect(panelVerdicts(stored, updates, 5).map((entry) => entry.name)).toEqual(['c', 'b', 'a', 'd'])
  })

  test('strip marks and confidences', () => {
    expect([{ status: 'passed', attempts: 1 }, { status: 'passed', attempts: 3 }, { status: 'failed', attempts: 2 }, { status: 'skipped', attempts: 0 }, { status: 'todo', attempts: 0 }].map((cell) => outcomeMark(cell as never))).toEqual([
      { symbol: '✓', kind: 'passed', label: 'passed' },
      { symbol: '↻', kind: 'retried', label: 'passed on retry (3 attempts)' },
      { symbol: '✗', kind: 'failed', label: 'failed (2 attempts)' },
      { symbol: '·', kind: 'skipped', label: 'skipped' },
      { symbol: '…', kind: 'todo', label: 'todo' },
    ])
    expect([0, 0.934, 0.996, 1].map(percent)).toEqual(['0%', '93%', '99%', '100%'])
  })
})

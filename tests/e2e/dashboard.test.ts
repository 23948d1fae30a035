import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import { HubClient } from '../../src/transport/hub-client.js'
import { launchChromium } from './_browser.js'
import { createProject, REPO, removeProjects, runRunner } from './harness.js'
import { printed, startRunner, startServe, type ServeProcess } from './_streaming.js'

const SCREENSHOT = join(REPO, 'node_modules', '.cache', 'flakeline-dashboard.png')
const FLAKY_PANEL = join(REPO, 'node_modules', '.cache', 'flakeline-flaky-panel.png')
const RETRIED = 'network client > reconnects after a dropped connection'
const BROKEN = 'invoice rounding > adds tax to the net amount'

let serve: ServeProcess | null = null
let browser: Browser | null = null

afterAll(async () => {
  await browser?.close().catch(() => {})
  await serve?.stop()
  removeProjects()
})

/**
 * A test file that holds the run open until the test writes `gate`: the page is checked while the
 * run is certainly still going, however fast or slow the machine is.
 */
function addGate(dir: string): string {
  const gate = join(dir, 'gate')
  writeFileSync(
    join(dir, 'tests', 'zz-gate.test.js'),
    `import { existsSync } from 'node:fs'
import { test } from 'vitest'
test('waits for the dashboard check', async () => {
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((resolve) => setTimeout(resolve, 50))
}, 120_000)
`,
  )
  return gate
}

/** The summary's data attributes, which the page keeps in step with what it shows. */
function summary(page: Page) {
  return page.locator('#summary').evaluate((element: HTMLElement) => ({ ...element.dataset }))
}

/** A verdict in the flaky panel: its kind, confidence, outcome strip, evidence and how it ran live. */
function verdictOf(page: Page, name: string) {
  return page.locator('#flaky .verdict').evaluateAll(
    (items: HTMLElement[], wanted) => {
      const item = items.find((candidate) => candidate.dataset.name === wanted)
      if (!item) return null
      const text = (selector: string) => Array.from(item.querySelectorAll(selector), (element) => element.textContent ?? '')
      return {
        verdict: item.dataset.verdict,
        confidence: Number(item.dataset.confidence),
        strip: text('.strip .cell').join(''),
        evidence: text('.evidence li'),
        ranNow: text('.ran-now').join(''),
      }
    },
    name,
  )
}

describe('the dashboard in Chromium', () => {
  test('shows a fixture run live while it runs: progress, failures with locations, verdicts with evidence and outcome strips, known-flaky tests marked as they finish, escaped names', async () => {
    const dir = createProject('vitest4', 'vitest')
    // Two runs before: the retried test gets its flaky verdict, which the live run then knows; the
    // broken test fails its third run in the live one, which makes it failing (a verdict needs 3 runs).
    for (let run = 0; run < 2; run++) expect((await runRunner('vitest4', dir)).code).toBe(1)
    const gate = addGate(dir)
    serve = await startServe(['--port', '0', '--dir', join(dir, '.flakeline')], dir)
    expect(serve.firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const hub = printed(serve.lines, 'FLAKELINE_HUB')
    const token = printed(serve.lines, 'FLAKELINE_TOKEN')

    const launched = await launchChromium()
    browser = launched.browser
    // The browser comes from the npm package, never from the system.
    expect(launched.executablePath).not.toMatch(/^\/usr\//)
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } })
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    await page.goto(`${serve.firstLine}?token=${token}`)
    await page.waitForSelector('main[data-state="live"]', { timeout: 20_000 })
    // Before the run: the stored verdict, with its evidence and the strip of the runs so far.
    await page.waitForSelector('#flaky .verdict[data-verdict="flaky"]', { timeout: 20_000 })
    const before = await verdictOf(page, RETRIED)
    expect(before).toMatchObject({ verdict: 'flaky', strip: '↻↻', ranNow: '' })
    expect(before!.confidence).toBeGreaterThan(0.5)
    expect(before!.evidence.join('\n')).toMatch(/passedOnRetry/)

    // Two workers: one held by the gate, one running the other files.
    const run = startRunner('vitest4', dir, { FLAKELINE_HUB: hub, FLAKELINE_TOKEN: token }, ['--maxWorkers=2'])
    // Live: the other files' results on the page while the gate holds the run open.
    await page.waitForFunction(
      () => {
        const element = document.querySelector<HTMLElement>('#summary')
        return element?.dataset.runStatus === 'running' && Number(element.dataset.tests) === 35
      },
      undefined,
      { timeout: 90_000 },
    )
    expect(await summary(page)).toMatchObject({ runStatus: 'running', tests: '35', failed: '1', knownFlaky: '1' })
    // Marked as it finished: the counter, and the verdict's "this run" mark; the failure is not a known-flaky one.
    await expect(page.locator('#summary .known-flaky').innerText()).resolves.toBe('1 known-flaky test ran')
    await expect(verdictOf(page, RETRIED)).resolves.toMatchObject({ verdict: 'flaky', ranNow: 'this run: ↻ passed on retry (2 attempts)' })
    await expect(page.locator('#flaky .retried-list').innerText()).resolves.toMatch(/known flaky \d+%/)
    await expect(page.locator('#failures .failure.known-flaky').count()).resolves.toBe(0)
    writeFileSync(gate, '')

    const result = await run.done
    expect(result.code).toBe(1)
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#summary')?.dataset.runStatus === 'failed', undefined, { timeout: 30_000 })
    expect(await summary(page)).toMatchObject({ runStatus: 'failed', tests: '36', passed: '31', failed: '1', skipped: '4' })

    const failure = page.locator('#failures .failure').first()
    await expect(failure.locator('.test-name').textContent()).resolves.toBe('invoice rounding > adds tax to the net amount')
    await expect(failure.locator('.location').textContent()).resolves.toMatch(/^tests\/failing\.test\.js:7:\d+$/)
    await expect(failure.locator('pre').textContent()).resolves.toContain('0.30000000000000004')
    await expect(page.locator('#flaky').textContent()).resolves.toContain('reconnects after a dropped connection')
    await expect(page.locator('#timeline .span').count()).resolves.toBe(9)
    // The charts are drawn from the store once the run is recorded, and the verdicts read again with it:
    // three runs in each strip, and the test that failed all three is failing now.
    await page.waitForSelector('#trends .uplot', { timeout: 20_000 })
    await page.waitForFunction((name) => document.querySelector(`#flaky .verdict[data-verdict="failing"]`)?.getAttribute('data-name') === name, BROKEN, { timeout: 20_000 })
    await page.waitForFunction((name) => Array.from(document.querySelectorAll<HTMLElement>('#flaky .verdict')).some((item) => item.dataset.name === name && item.querySelectorAll('.strip .cell').length === 3), RETRIED, { timeout: 20_000 })
    await expect(verdictOf(page, RETRIED)).resolves.toMatchObject({ verdict: 'flaky', strip: '↻↻↻' })
    await expect(verdictOf(page, BROKEN)).resolves.toMatchObject({ verdict: 'failing', strip: '✗✗✗' })
    mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    await page.locator('#flaky').screenshot({ path: FLAKY_PANEL })

    // Test names and messages are shown as text, never as markup.
    const hostile = '<img src=x onerror="window.__flakelineInjected=1">'
    const publisher = new HubClient({ url: hub, token, publisher: 'escape-check' })
    const origin = { run: 'escape-check', publisher: 'escape-check', shard: null }
    publisher.publish('run', 'run.start', { ...origin, runner: 'vitest', runnerVersion: '4', workers: 1, startedAt: Date.now() })
    publisher.publish('results', 'test', {
      ...origin,
      fileId: 'tests/x.test.js',
      path: 'tests/<b>x</b>.test.js',
      name: hostile,
      status: 'failed',
      durationMs: 1,
      attempts: 1,
      attemptOutcomes: ['failed'],
      retryErrors: [],
      failureMessage: `${hostile}<script>window.__flakelineInjected=2</script>`,
      location: { line: 1, column: 1 },
      known: { verdict: 'flaky', confidence: 0.9 },
    })
    publisher.publish('analysis', 'verdict', { ...origin, fileId: 'tests/x.test.js', name: hostile, verdict: 'flaky', confidence: 0.95, evidence: [{ signal: 'flipRate', value: 1, detail: hostile }] })
    expect(await publisher.flush(10_000)).toBe(true)
    await publisher.close()
    await page.waitForFunction((name) => document.querySelector('#failures .test-name')?.textContent === name, hostile, { timeout: 20_000 })
    // A failure of a known-flaky test is marked apart from a new one.
    await expect(page.locator('#failures .failure.known-flaky .tag').textContent()).resolves.toBe('known flaky 90%')
    await expect(verdictOf(page, hostile)).resolves.toMatchObject({ verdict: 'flaky', evidence: [`flipRate ${hostile}`] })
    await expect(page.locator('#failures img, #flaky img').count()).resolves.toBe(0)
    await expect(page.locator('#failures script, #flaky script').count()).resolves.toBe(0)
    await expect(page.evaluate(() => (window as unknown as { __flakelineInjected?: number }).__flakelineInjected)).resolves.toBeUndefined()
    expect(pageErrors).toEqual([])

    await browser.close()
    browser = null
    const stopped = await serve.stop()
    serve = null
    expect(stopped.code).toBe(0)
    expect(stopped.stdout).toContain('hub stopped')
  })
})

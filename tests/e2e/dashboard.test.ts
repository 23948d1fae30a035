import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import { HubClient } from '../../src/transport/hub-client.js'
import { launchChromium } from './_browser.js'
import { createProject, REPO, removeProjects } from './harness.js'
import { printed, startRunner, startServe, type ServeProcess } from './_streaming.js'

const SCREENSHOT = join(REPO, 'node_modules', '.cache', 'flakeline-dashboard.png')

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

describe('the dashboard in Chromium', () => {
  test('shows a fixture run live while it runs: progress, failures with locations, flaky tests, escaped names', async () => {
    const dir = createProject('vitest4', 'vitest')
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
    expect(await summary(page)).toMatchObject({ runStatus: 'running', tests: '35', failed: '1' })
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
    // The charts are drawn from the store once the run is recorded.
    await page.waitForSelector('#trends .uplot', { timeout: 20_000 })
    mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })

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
    })
    expect(await publisher.flush(10_000)).toBe(true)
    await publisher.close()
    await page.waitForFunction((name) => document.querySelector('#failures .test-name')?.textContent === name, hostile, { timeout: 20_000 })
    await expect(page.locator('#failures img').count()).resolves.toBe(0)
    await expect(page.locator('#failures script').count()).resolves.toBe(0)
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

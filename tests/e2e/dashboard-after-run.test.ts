import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import { runnerDir } from '../../scripts/test-installs.mjs'
import { launchChromium } from './_browser.js'
import { childEnv, createProject, flakelineLines, readStore, REPO, removeProjects, runRunner, type RunnerInstall, type RunResult } from './harness.js'
import { printed, startServe, type ServeProcess } from './_streaming.js'

const SCREENSHOT = join(REPO, 'node_modules', '.cache', 'flakeline-dashboard-after-run.png')

let serve: ServeProcess | null = null
let browser: Browser | null = null
const children: Array<{ kill: () => void }> = []

afterAll(async () => {
  await browser?.close().catch(() => {})
  await serve?.stop()
  for (const child of children) child.kill()
  removeProjects()
})

/** The fixture project for `install` (the shared suite: 35 tests, 1 failing, 1 passing on a retry), with `config` as flakeline.config.json. */
function project(install: RunnerInstall, config?: unknown): string {
  const dir = createProject(install, install.startsWith('jest') ? 'jest-babel' : 'vitest')
  if (config !== undefined) writeFileSync(join(dir, 'flakeline.config.json'), JSON.stringify(config))
  return dir
}

function runnerCommand(install: RunnerInstall, args: string[]): string[] {
  const modules = join(runnerDir(install), 'node_modules')
  const entry = install.startsWith('jest') ? [join(modules, 'jest', 'bin', 'jest.js'), '--ci'] : [join(modules, 'vitest', 'vitest.mjs'), 'run']
  return [process.execPath, ...entry, ...args]
}

/** A child whose output (both streams, in order) can be awaited while it runs. */
function watch(command: string[], cwd: string) {
  const child = spawn(command[0]!, command.slice(1), { cwd, env: childEnv({}), stdio: ['pipe', 'pipe', 'pipe'] })
  children.push({ kill: () => child.kill('SIGKILL') })
  let output = ''
  const waiters = new Set<() => void>()
  const take = (chunk: Buffer) => {
    output += chunk.toString()
    for (const check of Array.from(waiters)) check()
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  const done = new Promise<{ code: number; output: string }>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, output })))
  return {
    child,
    done,
    output: () => output,
    /** Resolves with the first match of `pattern` in the output (bounded). */
    waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${output}`)), timeoutMs)
        const check = () => {
          const match = pattern.exec(output)
          if (!match) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(match)
        }
        waiters.add(check)
        check()
        void done.then(() => {
          if (waiters.has(check)) reject(new Error(`exited without ${pattern}:\n${output}`))
        })
      })
    },
  }
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  return response.json()
}

const STAYS_UP = /flakeline: the dashboard stays up at (http:\/\/127\.0\.0\.1:\d+\/)\?token=(\S+) \(Ctrl\+C to stop(; Jest prints its summary then)?\)/

/** The summary's data attributes, which the page keeps in step with what it shows. */
function summary(page: Page) {
  return page.locator('#summary').evaluate((element: HTMLElement) => ({ ...element.dataset }))
}

describe('the dashboard opened after a run', () => {
  test('flakeline serve shows the last recorded run from the store: its failure with name, location and message, its counts, marked recorded, the flaky verdict with its strip and evidence; the pass-rate axis is not 0–100', async () => {
    const dir = project('vitest4')
    const run = await runRunner('vitest4', dir)
    expect(run.code).toBe(1)
    const [stored] = (await readStore(dir)).map((entry) => entry.run)
    expect(stored).toMatchObject({ tests: 35, passed: 30, failed: 1, skipped: 3, todo: 1 })

    serve = await startServe(['--port', '0', '--dir', join(dir, '.flakeline')], dir)
    const token = printed(serve.lines, 'FLAKELINE_TOKEN')
    browser = (await launchChromium()).browser
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } })
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    await page.goto(`${serve.firstLine}?token=${token}`)
    await page.waitForSelector('#summary[data-source="recorded"]', { timeout: 20_000 })

    expect(await summary(page)).toMatchObject({ source: 'recorded', runId: stored!.id, runStatus: 'failed', tests: '35', passed: '30', failed: '1', skipped: '4' })
    const text = await page.locator('#summary').innerText()
    expect(text).toContain('recorded')
    expect(text).toContain('Not live')
    expect(text).not.toContain('Waiting for a run')
    const failure = page.locator('#failures .failure').first()
    await expect(failure.locator('.test-name').textContent()).resolves.toBe('invoice rounding > adds tax to the net amount')
    await expect(failure.locator('.location').textContent()).resolves.toMatch(/^tests\/failing\.test\.js:7:\d+$/)
    await expect(failure.locator('pre').textContent()).resolves.toContain('0.30000000000000004')
    await expect(page.locator('#failures-count').textContent()).resolves.toBe('1')
    await expect(page.locator('#flaky').textContent()).resolves.toContain('reconnects after a dropped connection')
    // Its verdict, read from the store: passing on a retry is definitive, so one run is enough to call it flaky.
    const verdict = page.locator('#flaky .verdict[data-verdict="flaky"]')
    await verdict.first().waitFor({ timeout: 20_000 })
    await expect(verdict.evaluateAll((items: HTMLElement[]) => items.map((item) => item.dataset.name))).resolves.toEqual(['network client > reconnects after a dropped connection'])
    await expect(verdict.locator('.strip').textContent()).resolves.toBe('↻')
    await expect(verdict.locator('.evidence').textContent()).resolves.toContain('passedOnRetry')
    // One span per file, on worker lanes rebuilt from the store's start times and durations.
    await expect(page.locator('#timeline .span').count()).resolves.toBe(8)

    // 30 of 31 passed (96.8 %): on a 0–100 axis that is a hair under the top; here the axis ends at 100 and starts near the point.
    const passRate = page.locator('#trends [data-chart="pass-rate"][data-y-min]')
    await passRate.waitFor({ timeout: 20_000 })
    const range = await passRate.evaluate((element: HTMLElement) => [Number(element.dataset.yMin), Number(element.dataset.yMax)])
    expect(range[1]).toBe(100)
    expect(range[0]).toBeGreaterThan(90)
    expect(range[0]).toBeLessThan(100 * (30 / 31))
    mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(pageErrors).toEqual([])

    await browser.close()
    browser = null
    expect((await serve.stop()).code).toBe(0)
    serve = null
  })
})

describe('`serve: true` at the end of the run', () => {
  test.each(['vitest4', 'jest30'] as const)('%s without a terminal: the run ends with the runner’s own exit code and one line says the dashboard closed', async (install) => {
    const result: RunResult = await runRunner(install, project(install, { serve: true }))
    expect(result.code).toBe(1)
    const lines = flakelineLines(result)
    expect(lines.filter((line) => line.includes('live dashboard at'))).toHaveLength(1)
    expect(lines.filter((line) => line.includes('closed'))).toEqual([
      'flakeline: the live dashboard closed with the run (not an interactive terminal); to see this run again: npx flakeline serve',
    ])
  })

  test.each([
    ['vitest4', ['tests/math.test.js'], 0],
    ['jest30', [], 1],
  ] as const)('%s with keepAlive and no terminal: the dashboard serves the run until SIGINT, then the runner finishes with its own exit code (%j → %i)', async (install, args, code) => {
    const dir = project(install, { serve: { keepAlive: true } })
    const running = watch(runnerCommand(install, [...args]), dir)
    const [, address, token, jestNote] = await running.waitFor(STAYS_UP)
    expect(Boolean(jestNote)).toBe(install === 'jest30')
    const latest = await getJson(`${address}api/runs/latest?token=${token}`)
    expect(latest.run.status).toBe(code === 0 ? 'passed' : 'failed')
    expect(latest.failures.map((failure: { name: string }) => failure.name)).toEqual(code === 0 ? [] : ['invoice rounding > adds tax to the net amount'])
    await expect(fetch(`${address}?token=${token}`).then((response) => response.status)).resolves.toBe(200)
    // The run is over but the runner has not exited: it waits for the dashboard to be stopped.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(running.child.exitCode).toBeNull()
    if (install === 'jest30') expect(running.output()).not.toMatch(/^Tests: /m)

    running.child.kill('SIGINT')
    const result = await running.done
    expect(result.code).toBe(code)
    expect(result.output).toContain('flakeline: the dashboard stopped')
    // Jest's summary reporter runs after every custom reporter: it prints once the dashboard stops.
    if (install === 'jest30') expect(result.output.indexOf('Tests: ')).toBeGreaterThan(result.output.indexOf('the dashboard stopped'))
  })

  // util-linux `script` gives the runner a real terminal; Ctrl+C is typed into it.
  const script = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0
  test.skipIf(!script).each([
    ['vitest4', ['tests/math.test.js'], 0],
    ['jest30', [], 1],
  ] as const)('%s in a terminal stays up until Ctrl+C, then exits with its own code (%j → %i)', async (install, args, code) => {
    const dir = project(install, { serve: true })
    const command = runnerCommand(install, [...args])
      .map((part) => `'${part.replaceAll("'", "'\\''")}'`)
      .join(' ')
    const running = watch(['script', '-qfec', command, '/dev/null'], dir)
    const [, address, token] = await running.waitFor(STAYS_UP)
    const latest = await getJson(`${address}api/runs/latest?token=${token}`)
    expect(latest.run.status).toBe(code === 0 ? 'passed' : 'failed')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(running.child.exitCode).toBeNull()
    running.child.stdin.write('\u0003')
    const result = await running.done
    expect(result.code).toBe(code)
    expect(result.output).toContain('flakeline: the dashboard stopped')
    expect(result.output).not.toContain('closed with the run')
  })
})

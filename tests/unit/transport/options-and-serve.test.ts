import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import type { CliIO } from '../../../src/cli/cli-io.js'
import { runCli } from '../../../src/cli/main.js'
import { optionsFromEnvironment, validateOptions } from '../../../src/config/options.js'
import { ErrorCodes } from '../../../src/errors.js'
import { HubClient } from '../../../src/transport/hub-client.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function messagesOf(input: unknown): string[] {
  const { problems } = validateOptions(input, 'options')
  for (const problem of problems) expect(problem.code).toBe(ErrorCodes.CONFIG)
  return problems.map((problem) => problem.message)
}

describe('the streaming options', () => {
  test('valid values pass', () => {
    for (const serve of [true, false, 0, 7357, { port: 0 }, { host: '0.0.0.0', port: 1, quicPort: 2 }, { keepAlive: true }, { port: 0, keepAlive: false }]) expect(messagesOf({ serve })).toEqual([])
    expect(messagesOf({ hub: 'ws://127.0.0.1:7357', token: 'x'.repeat(16) })).toEqual([])
    expect(messagesOf({ hub: `quic://127.0.0.1:7358?fingerprint=${'a'.repeat(64)}` })).toEqual([])
  })

  test.each([
    [{ serve: 'yes' }, 'options.serve must be true, false, a port number (0 for a free one) or { port, host, quicPort, keepAlive }, got "yes"'],
    [{ serve: 70_000 }, 'options.serve must be true, false, a port number (0 for a free one) or { port, host, quicPort, keepAlive }, got 70000'],
    [{ serve: { port: -1 } }, 'options.serve.port must be an integer from 0 to 65535, got -1'],
    [{ serve: { quicPort: '1' } }, 'options.serve.quicPort must be an integer from 0 to 65535, got "1"'],
    [{ serve: { host: '' } }, 'options.serve.host must be a non-empty host name or address, got ""'],
    [{ serve: { tls: true } }, 'options.serve.tls is not a serve option (known: port, host, quicPort, keepAlive)'],
    [{ serve: { keepAlive: 'yes' } }, 'options.serve.keepAlive must be true or false, got "yes"'],
    [{ hub: 'http://127.0.0.1:1' }, 'options.hub must start with ws://, wss:// or quic://, got "http://127.0.0.1:1"'],
    [{ hub: 'quic://127.0.0.1' }, 'options.hub needs a port for QUIC, like quic://127.0.0.1:7358, got "quic://127.0.0.1"'],
    [{ hub: 42 }, 'options.hub must be a URL like ws://127.0.0.1:7357 or quic://127.0.0.1:7358, got 42'],
    [{ token: 'short' }, 'options.token must be at least 16 characters without spaces, got a value of 5 characters (not shown)'],
  ])('%j: %s', (input, message) => {
    expect(messagesOf(input)).toEqual([message])
  })

  test('FLAKELINE_HUB and FLAKELINE_TOKEN set hub and token', () => {
    const { options, problems } = optionsFromEnvironment({ FLAKELINE_HUB: 'ws://127.0.0.1:9', FLAKELINE_TOKEN: 't'.repeat(20) })
    expect(problems).toEqual([])
    expect(options).toEqual({ hub: 'ws://127.0.0.1:9', token: 't'.repeat(20) })
    const bad = optionsFromEnvironment({ FLAKELINE_HUB: 'nope' })
    expect(bad.problems.map((problem) => problem.message)).toEqual(['FLAKELINE_HUB must be a URL like ws://127.0.0.1:7357 or quic://127.0.0.1:7358, got "nope"'])
  })
})

describe('flakeline serve', () => {
  function io(cwd: string, env: NodeJS.ProcessEnv = {}) {
    const out = { stdout: '', stderr: '' }
    const controller = new AbortController()
    let printed!: () => void
    const ready = new Promise<void>((resolve) => (printed = resolve))
    const cli: CliIO = {
      stdout: (text) => {
        out.stdout += text
        if (out.stdout.includes('stop ')) printed()
      },
      stderr: (text) => void (out.stderr += text),
      env,
      cwd,
      isTTY: false,
      signal: controller.signal,
    }
    return { cli, out, ready, stop: () => controller.abort() }
  }

  function project(): string {
    const dir = mkdtempSync(join(tmpdir(), 'flakeline-serve-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'package.json'), '{"name":"fixture"}')
    return dir
  }

  test('prints the dashboard address first, then how to publish; serves until stopped', async () => {
    const dir = project()
    const session = io(dir)
    const exit = runCli(['serve', '--port', '0', '--quic-port', '0'], session.cli)
    await session.ready
    const lines = session.out.stdout.split('\n')
    expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const port = /:(\d+)\/$/.exec(lines[0]!)![1]
    const token = /FLAKELINE_TOKEN=(\S+)/.exec(session.out.stdout)![1]!
    expect(lines[1]).toBe(`flakeline: open      http://127.0.0.1:${port}/?token=${token}`)
    expect(lines[2]).toBe(`flakeline: publish   FLAKELINE_HUB=ws://127.0.0.1:${port}/ws FLAKELINE_TOKEN=${token}`)
    expect(lines[3]).toMatch(/^flakeline: quic {6}FLAKELINE_HUB=quic:\/\/127\.0\.0\.1:\d+\?fingerprint=[0-9a-f]{64} FLAKELINE_TOKEN=/)
    expect(lines[4]).toBe(`flakeline: history   ${join(dir, '.flakeline')} (read-only)`)
    // The certificate is kept in the store directory for the next start.
    const quicUrl = /FLAKELINE_HUB=(quic:\S+)/.exec(session.out.stdout)![1]!
    const client = new HubClient({ url: quicUrl, token, subscribe: ['run'] })
    await client.ready()
    await client.close()
    session.stop()
    expect(await exit).toBe(0)
    expect(session.out.stdout).toContain('flakeline: hub stopped')
  })

  test('a token from FLAKELINE_TOKEN is used and not printed', async () => {
    const session = io(project(), { FLAKELINE_TOKEN: 'from-the-environment-123' })
    const exit = runCli(['serve', '--port', '0'], session.cli)
    await session.ready
    expect(session.out.stdout).not.toContain('from-the-environment-123')
    expect(session.out.stdout).toContain('?token=<your token>')
    const port = /:(\d+)\/\n/.exec(session.out.stdout)![1]
    const client = new HubClient({ url: `ws://127.0.0.1:${port}`, token: 'from-the-environment-123', subscribe: ['run'] })
    await client.ready()
    await client.close()
    session.stop()
    expect(await exit).toBe(0)
  })

  test.each([
    [['--port', 'x'], '--port must be a port from 0 to 65535, got "x"'],
    [['--quic-port', '99999'], '--quic-port must be a port from 0 to 65535, got "99999"'],
    [['--colour'], "Unknown option '--colour'"],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const session = io(project())
    expect(await runCli(['serve', ...args], session.cli)).toBe(2)
    expect(session.out.stderr).toContain(ErrorCodes.USAGE)
    expect(session.out.stderr).toContain(message)
  })

  test('a short --token is refused with FLAKELINE_E_CONFIG (exit 2)', async () => {
    const session = io(project())
    expect(await runCli(['serve', '--port', '0', '--token', 'short'], session.cli)).toBe(2)
    expect(session.out.stderr).toContain('FLAKELINE_E_CONFIG: options.token must be at least 16 characters')
  })
})

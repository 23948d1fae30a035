import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createProject, removeProjects } from './harness.js'

afterAll(removeProjects)

/** Runs an ES module script inside a runner project, where flakeline is installed as a package. */
function runScript(dir: string, source: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, 'script.mjs')
  writeFileSync(file, source)
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

describe('the installed package, imported by name', () => {
  test('flakeline/hub: a hub, a publisher and a subscriber talk over WebSocket and QUIC', async () => {
    const dir = createProject('vitest4', 'vitest')
    const result = await runScript(
      dir,
      `
import { HubClient, HubServer, PROTOCOL_VERSION, CloseCodes } from 'flakeline/hub'
const server = await HubServer.start({ port: 0, quicPort: 0 })
const seen = {}
for (const url of [server.wsUrl, server.quicUrl]) {
  const received = []
  const subscriber = new HubClient({ url, token: server.token, subscribe: ['results'], since: 'live', onFrame: ([, seq, type, payload]) => received.push([seq, type, payload.name]) })
  await subscriber.ready(10_000)
  const publisher = new HubClient({ url, token: server.token, publisher: 'script-' + url.split(':')[0] })
  await publisher.ready(10_000)
  for (let i = 0; i < 50; i++) publisher.publish('results', 'test', { name: 'case ' + i })
  await publisher.flush(10_000)
  const deadline = Date.now() + 10_000
  while (received.length < 50 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  seen[url.split(':')[0]] = received
  await publisher.close()
  await subscriber.close()
}
// A refusal carries the hub's reason, not only its close code.
const refused = await new HubClient({ url: server.wsUrl, token: server.token, publisher: 'has/slash' }).ready(10_000).then(() => null, (error) => error)
await server.close()
console.log(JSON.stringify({ protocol: PROTOCOL_VERSION, tooSlow: CloseCodes.TOO_SLOW, seen, refused: { code: refused?.code, message: refused?.message } }))
`,
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const { protocol, tooSlow, seen, refused } = JSON.parse(result.stdout) as {
      protocol: number
      tooSlow: number
      seen: Record<string, Array<[number, string, string]>>
      refused: { code: string; message: string }
    }
    expect(refused.code).toBe('FLAKELINE_E_PROTOCOL')
    expect(refused.message).toContain('code 4002: protocol error: publish.publisher must be 1 to 128 letters')
    expect(protocol).toBe(1)
    expect(tooSlow).toBe(4008)
    for (const transport of ['ws', 'quic']) {
      const names = seen[transport]!.map(([, , name]) => name)
      expect(names).toEqual(Array.from({ length: 50 }, (_, i) => `case ${i}`))
      expect(seen[transport]!.every(([, type]) => type === 'test')).toBe(true)
    }
  })

  test('a run that does not stream loads neither ws nor QUIC: the reporter and sequencer entry points stay light', async () => {
    const dir = createProject('vitest4', 'vitest')
    const result = await runScript(
      dir,
      `
import { createRequire } from 'node:module'
await import('flakeline')
await import('flakeline/vitest')
const loaded = Object.keys(createRequire(import.meta.url).cache)
console.log(JSON.stringify(loaded.filter((path) => /node_modules\\/(ws|@matrixai)\\//.test(path))))
`,
    )
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual([])
  })
})

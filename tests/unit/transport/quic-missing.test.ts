import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { ErrorCodes } from '../../../src/errors.js'

// @matrixai/quic is an optional peer. These tests run the built package in a child process whose
// module hooks change what the specifier '@matrixai/quic' means, whatever this checkout has installed
// (and away from the unit tests' resolve alias): Node looks for it from an empty directory, or
// loads a stand-in that lacks what flakeline uses, or one that fails like a missing native binary.

const REPO_ROOT = join(import.meta.dirname, '../../..')
const BIN = join(REPO_ROOT, 'bin', 'flakeline.js')
const HUB = pathToFileURL(join(REPO_ROOT, 'dist/src/hub/index.js')).href
const QUIC_MODULE = pathToFileURL(join(REPO_ROOT, 'dist/src/transport/quic-module.js')).href
const MISSING = `${ErrorCodes.QUIC_MISSING}: QUIC needs the optional package @matrixai/quic: npm install --save-dev @matrixai/quic (WebSocket hubs need nothing more)`

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** What '@matrixai/quic' resolves to in the child. */
type Stand = { kind: 'not-installed' } | { kind: 'module'; source: string }

/** A temp directory holding the hooks; returns it and the `--import` argument that installs them. */
function hiddenQuic(stand: Stand): { dir: string; flag: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flakeline-quic-missing-'))
  dirs.push(dir)
  const target =
    stand.kind === 'not-installed'
      ? `return nextResolve(specifier, { ...context, parentURL: ${JSON.stringify(pathToFileURL(join(dir, 'here.js')).href)} })`
      : `return { url: ${JSON.stringify(`data:text/javascript,${encodeURIComponent(stand.source)}`)}, shortCircuit: true }`
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `export async function resolve(specifier, context, nextResolve) {\n  if (specifier !== '@matrixai/quic') return nextResolve(specifier, context)\n  ${target}\n}\n`,
  )
  writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module'\nregister('./hooks.mjs', import.meta.url)\n")
  return { dir, flag: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}` }
}

/**
 * Runs `script` as an ES module in a child with `stand` for '@matrixai/quic' and returns what it
 * prints, as JSON. The script can use `outcome(promise)`: `{}` or the rejection's `{ code, message }`.
 */
function runScript(stand: Stand, script: string): unknown {
  const { dir, flag } = hiddenQuic(stand)
  const prelude = 'const outcome = (promise) => promise.then(() => ({}), (error) => ({ code: error.code, message: error.message }))\n'
  const child = spawnSync(process.execPath, [flag, '--input-type=module', '-e', prelude + script], { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH } })
  expect(child.stderr).toBe('')
  expect(child.status).toBe(0)
  return JSON.parse(child.stdout)
}

const LOAD_QUIC = `import { loadQuic } from ${JSON.stringify(QUIC_MODULE)}\nconsole.log(JSON.stringify(await outcome(loadQuic())))`

describe('without @matrixai/quic', () => {
  test('flakeline serve --quic-port: exit 1, the code and how to install it; no certificate is written', () => {
    const { dir, flag } = hiddenQuic({ kind: 'not-installed' })
    const store = join(dir, 'store')
    const child = spawnSync(process.execPath, [flag, BIN, 'serve', '--port', '0', '--quic-port', '0', '--dir', store], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env.PATH },
    })
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({ status: 1, stdout: '', stderr: `flakeline: ${MISSING}\n` })
    expect(existsSync(join(store, 'hub-tls'))).toBe(false)
  }, 30_000)

  test('HubServer.start({ quicPort }) rejects, and a quic:// HubClient gives up at once, with FLAKELINE_E_QUIC_MISSING', () => {
    const script = `
      import { HubClient, HubServer } from ${JSON.stringify(HUB)}
      const server = await outcome(HubServer.start({ port: 0, quicPort: 0 }))
      const problems = []
      const client = new HubClient({ url: 'quic://127.0.0.1:9', token: 't'.repeat(16), subscribe: ['run'], onProblem: (error) => problems.push(error.code) })
      const ready = await outcome(client.ready(5000))
      await client.close()
      console.log(JSON.stringify({ server, ready, problems }))
    `
    const message = MISSING.slice(`${ErrorCodes.QUIC_MISSING}: `.length)
    expect(runScript({ kind: 'not-installed' }, script)).toEqual({
      server: { code: ErrorCodes.QUIC_MISSING, message },
      ready: { code: ErrorCodes.QUIC_MISSING, message },
      problems: [ErrorCodes.QUIC_MISSING],
    })
  }, 30_000)

  test('a @matrixai/quic without what flakeline uses is named part by part', () => {
    const stand: Stand = { kind: 'module', source: 'export const QUICServer = class {}; export const events = { EventQUICConnectionStream: class EventQUICConnectionStream {} }' }
    expect(runScript(stand, LOAD_QUIC)).toEqual({
      code: ErrorCodes.QUIC_MISSING,
      message:
        '@matrixai/quic lacks QUICClient.createQUICClient, events.EventQUICServerConnection, events.EventQUICConnectionError, events.EventQUICConnectionStopped; ' +
        'flakeline needs @matrixai/quic 2.x: npm install --save-dev @matrixai/quic@2',
    })
  }, 30_000)

  test('a @matrixai/quic that cannot load here (no native binary) keeps its reason in the message', () => {
    const stand: Stand = { kind: 'module', source: "throw new Error('Failed requiring possible native bindings: @matrixai/quic-linux-x64')" }
    expect(runScript(stand, LOAD_QUIC)).toEqual({
      code: ErrorCodes.QUIC_MISSING,
      message:
        'QUIC needs the optional package @matrixai/quic, which cannot be loaded here: Failed requiring possible native bindings: @matrixai/quic-linux-x64 ' +
        '(reinstall it on this machine: npm install --save-dev @matrixai/quic; WebSocket hubs need nothing more)',
    })
  }, 30_000)
})

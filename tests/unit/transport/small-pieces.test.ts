import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { ErrorCodes, FlakelineError } from '../../../src/errors.js'
import { generateToken, presentedToken, tokenMatches } from '../../../src/hub/auth.js'
import { createSelfSignedCertificate } from '../../../src/hub/self-signed-cert.js'
import { TLS_DIR_NAME, loadTlsIdentity } from '../../../src/hub/tls-identity.js'
import { backoffDelay } from '../../../src/transport/backoff.js'
import { parseHubUrl } from '../../../src/transport/hub-url.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeline-tls-'))
  dirs.push(dir)
  return dir
}

function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    return (error as FlakelineError).code
  }
  return 'no error'
}

describe('tokens', () => {
  test('are compared whole, and only strings match', () => {
    const token = generateToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(tokenMatches(token, token)).toBe(true)
    expect(tokenMatches(`${token}x`, token)).toBe(false)
    expect(tokenMatches(token.slice(1), token)).toBe(false)
    expect(tokenMatches(undefined, token)).toBe(false)
    expect(tokenMatches(42, token)).toBe(false)
  })

  test('come from the Authorization header or ?token=', () => {
    const request = (url: string, authorization?: string) => ({ url, headers: authorization ? { authorization } : {} }) as IncomingMessage
    expect(presentedToken(request('/ws', 'Bearer abc'))).toBe('abc')
    expect(presentedToken(request('/ws?token=a%2Bb'))).toBe('a+b')
    expect(presentedToken(request('/ws'))).toBeUndefined()
  })
})

describe('hub URLs', () => {
  test('ws URLs get the /ws path; quic URLs keep a pinned fingerprint', () => {
    expect(parseHubUrl('ws://127.0.0.1:7357')).toMatchObject({ transport: 'ws', url: 'ws://127.0.0.1:7357/ws', host: '127.0.0.1', port: 7357 })
    expect(parseHubUrl('wss://hub.example/live')).toMatchObject({ url: 'wss://hub.example/live', port: 443 })
    const pin = 'AB:'.repeat(31) + 'AB'
    expect(parseHubUrl(`quic://[::1]:7358?fingerprint=${pin}`)).toMatchObject({ transport: 'quic', host: '::1', port: 7358, fingerprint: 'ab'.repeat(32) })
  })

  test.each([
    ['not a url', 'must be a URL like'],
    ['http://127.0.0.1:1', 'must start with ws://, wss:// or quic://'],
    ['quic://127.0.0.1', 'needs a port'],
    ['quic://127.0.0.1:1?fingerprint=abc', 'fingerprint must be'],
  ])('%s is refused with FLAKELINE_E_CONFIG', (url, message) => {
    expect(() => parseHubUrl(url, 'FLAKELINE_HUB')).toThrow(message)
    expect(codeOf(() => parseHubUrl(url))).toBe(ErrorCodes.CONFIG)
  })
})

describe('reconnect backoff', () => {
  test('grows from the initial delay to the cap, half of each delay random', () => {
    const options = { initialMs: 100, maxMs: 5000, factor: 2 }
    expect([0, 1, 2].map((attempt) => backoffDelay(attempt, options, () => 0))).toEqual([50, 100, 200])
    expect(backoffDelay(3, options, () => 1)).toBe(800)
    expect(backoffDelay(50, options, () => 1)).toBe(5000)
    expect(backoffDelay(50, options, () => 0)).toBe(2500)
  })
})

describe('the QUIC certificate', () => {
  test('a self-signed certificate for loopback that Node reads and verifies', () => {
    const identity = createSelfSignedCertificate()
    const certificate = new X509Certificate(identity.certPem)
    expect(certificate.subject).toBe('CN=flakeline hub')
    expect(certificate.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost')
    expect(certificate.verify(certificate.publicKey)).toBe(true)
    expect(certificate.checkPrivateKey(createPrivateKey(identity.keyPem))).toBe(true)
    expect(Date.parse(certificate.validFrom)).toBeLessThan(Date.now())
    expect(Date.parse(certificate.validTo)).toBeGreaterThan(Date.now() + 365 * 24 * 3600 * 1000)
    expect(identity.fingerprint).toBe(certificate.fingerprint256.replace(/:/g, '').toLowerCase())
  })

  test('is generated once and kept in the store directory, the key readable by its owner only', () => {
    const dir = scratch()
    const first = loadTlsIdentity({ dir })
    const second = loadTlsIdentity({ dir })
    expect(second.fingerprint).toBe(first.fingerprint)
    expect(statSync(join(dir, TLS_DIR_NAME, 'key.pem')).mode & 0o077).toBe(0)
  })

  test("the user's certificate and key are used as given, and must belong together", () => {
    const dir = scratch()
    const mine = createSelfSignedCertificate(['hub.internal'])
    const other = createSelfSignedCertificate()
    writeFileSync(join(dir, 'cert.pem'), mine.certPem)
    writeFileSync(join(dir, 'key.pem'), mine.keyPem)
    writeFileSync(join(dir, 'other-key.pem'), other.keyPem)
    expect(loadTlsIdentity({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }).fingerprint).toBe(mine.fingerprint)
    expect(codeOf(() => loadTlsIdentity({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'other-key.pem') }))).toBe(ErrorCodes.TLS)
    expect(codeOf(() => loadTlsIdentity({ certFile: join(dir, 'cert.pem') }))).toBe(ErrorCodes.TLS)
    expect(codeOf(() => loadTlsIdentity({ certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'key.pem') }))).toBe(ErrorCodes.TLS)
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE')
  })
})

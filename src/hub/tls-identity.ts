import { X509Certificate, createPrivateKey } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCodes, FlakelineError, asFlakelineError } from '../errors.js'
import { createSelfSignedCertificate, fingerprintOf, type TlsIdentity } from './self-signed-cert.js'

/** Where the self-signed certificate is kept, inside the store directory. */
export const TLS_DIR_NAME = 'hub-tls'

/** Checks that `keyPem` is the private key of `certPem`; returns the identity with its fingerprint. */
function checked(certPem: string, keyPem: string, where: string): TlsIdentity {
  try {
    const certificate = new X509Certificate(certPem)
    if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new FlakelineError(ErrorCodes.TLS, `the key does not belong to the certificate (${where})`)
    }
    return { certPem, keyPem, fingerprint: fingerprintOf(certPem) }
  } catch (error) {
    throw asFlakelineError(error, ErrorCodes.TLS, `cannot use the TLS certificate and key (${where})`)
  }
}

/**
 * The QUIC transport's TLS identity: the user's certificate and key when given (PEM files), else
 * a self-signed certificate generated once and kept in `<dir>/hub-tls/`, else (no directory) one
 * made for this process only. Throws `FLAKELINE_E_TLS`.
 */
export function loadTlsIdentity(options: { certFile?: string; keyFile?: string; dir?: string | null }): TlsIdentity {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) throw new FlakelineError(ErrorCodes.TLS, 'give both a TLS certificate and its key, or neither')
    let certPem: string
    let keyPem: string
    try {
      certPem = readFileSync(options.certFile, 'utf8')
      keyPem = readFileSync(options.keyFile, 'utf8')
    } catch (error) {
      throw asFlakelineError(error, ErrorCodes.TLS, 'cannot read the TLS certificate or key')
    }
    return checked(certPem, keyPem, `${options.certFile}, ${options.keyFile}`)
  }
  if (!options.dir) return createSelfSignedCertificate()
  const dir = join(options.dir, TLS_DIR_NAME)
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  if (existsSync(certFile) && existsSync(keyFile)) return checked(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), dir)
  try {
    const identity = createSelfSignedCertificate()
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Written aside and renamed, so two hubs starting at once never read half a file; the key first,
    // so a certificate on disk always has its key.
    const suffix = `.${process.pid}.tmp`
    writeFileSync(keyFile + suffix, identity.keyPem, { mode: 0o600 })
    writeFileSync(certFile + suffix, identity.certPem, { mode: 0o644 })
    renameSync(keyFile + suffix, keyFile)
    renameSync(certFile + suffix, certFile)
    return checked(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), dir)
  } catch (error) {
    throw asFlakelineError(error, ErrorCodes.TLS, `cannot keep a self-signed certificate in ${dir}`)
  }
}

import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import {
  bitString,
  booleanTrue,
  explicit,
  implicit,
  objectIdentifier,
  octetString,
  pem,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from './_der.js'

/** A TLS certificate and its private key, both PEM. */
export interface TlsIdentity {
  certPem: string
  keyPem: string
  /** SHA-256 of the certificate's DER bytes, lowercase hex: what a client pins. */
  fingerprint: string
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number))
  // Expand "::" so every one of the eight groups is present.
  const [head = '', tail = ''] = address.split('::')
  const left = head ? head.split(':') : []
  const right = address.includes('::') && tail ? tail.split(':') : []
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return Buffer.from(groups.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]))
}

/**
 * Makes a self-signed ECDSA P-256 certificate for `hosts` (IP addresses and DNS names, all in the
 * subjectAltName), valid from an hour ago for `days`. node:crypto makes the key and the signature;
 * the certificate itself is a few lines of DER.
 */
export function createSelfSignedCertificate(hosts: readonly string[] = ['127.0.0.1', '::1', 'localhost'], days = 3650): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256))
  const name = sequence(set(sequence(objectIdentifier(OID.commonName), utf8String('flakeline hub'))))
  const notBefore = new Date(Date.now() - 60 * 60 * 1000)
  const notAfter = new Date(notBefore.getTime() + days * 24 * 60 * 60 * 1000)
  const altNames = sequence(...hosts.map((host) => (isIP(host) ? implicit(7, ipBytes(host)) : implicit(2, Buffer.from(host, 'ascii')))))
  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const extensions = sequence(
    sequence(objectIdentifier(OID.basicConstraints), booleanTrue(), octetString(sequence())),
    // digitalSignature and keyCertSign: the certificate signs TLS handshakes and is its own anchor.
    sequence(objectIdentifier(OID.keyUsage), booleanTrue(), octetString(bitString(Buffer.from([0x84])))),
    sequence(objectIdentifier(OID.subjectAltName), octetString(altNames)),
  )
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  )
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, privateKey)))
  const certPem = pem('CERTIFICATE', der)
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), fingerprint: fingerprintOf(certPem) }
}

/** SHA-256 of a PEM certificate's DER bytes, lowercase hex. Throws when `certPem` is not a certificate. */
export function fingerprintOf(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex')
}

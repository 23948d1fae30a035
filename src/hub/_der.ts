/**
 * The few DER (ASN.1 distinguished encoding) shapes an X.509 certificate needs. Enough to write a
 * self-signed certificate without a dependency; not a general ASN.1 library.
 */

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length])
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/** One tag-length-value element. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content])
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items))
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items))
export const octetString = (content: Uint8Array): Buffer => tlv(0x04, content)
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'))
export const bitString = (content: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), content]))
export const booleanTrue = (): Buffer => tlv(0x01, Buffer.from([0xff]))
/** `[n] EXPLICIT` wrapper. */
export const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 | n, content)
/** `[n] IMPLICIT` primitive (used for subjectAltName entries). */
export const implicit = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content)

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps it positive). */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = Buffer.from(bytes.subarray(start))
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

export function objectIdentifier(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes: number[] = [40 * parts[0]! + parts[1]!]
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f]
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift(0x80 | (rest & 0x7f))
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime for years before 2050, GeneralizedTime after, as RFC 5280 requires. */
export function time(date: Date): Buffer {
  const iso = date.toISOString()
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'))
}

/** PEM armour around DER bytes. */
export function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN ${label}-----\n${base64}-----END ${label}-----\n`
}

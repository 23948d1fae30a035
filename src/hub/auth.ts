import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** A new random token: 32 bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first so
 * the comparison takes the same time whatever the lengths, and `timingSafeEqual` gets equal sizes.
 */
export function tokenMatches(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, or `?token=` in the URL (what a
 * browser can do, since it cannot set headers on a WebSocket).
 */
export function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim()
  const query = new URL(request.url ?? '/', 'http://hub').searchParams.get('token')
  return query ?? undefined
}

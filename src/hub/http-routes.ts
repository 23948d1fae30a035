import type { IncomingMessage, ServerResponse } from 'node:http'
import { presentedToken, tokenMatches } from './auth.js'
import type { Asset } from './dashboard-assets.js'
import type { HistoryApi } from './history-api.js'
import { ErrorCodes } from '../errors.js'

/**
 * The dashboard page may only load its own files and talk to its own hub; the token rides in the
 * page's URL, so no referrer ever carries it away.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...PAGE_HEADERS })
  response.end(text)
}

/** The body of every 401: the same for HTTP and the WebSocket upgrade. */
export const UNAUTHORIZED_BODY = JSON.stringify({ error: { code: ErrorCodes.HUB_AUTH, message: 'wrong or missing token' } })

/**
 * Answers plain HTTP requests: the dashboard's static files (public: they hold no data), `/healthz`,
 * and `/api/...`, the read-only history API, which needs the token like the channels do.
 */
export function handleHttp(
  request: IncomingMessage,
  response: ServerResponse,
  context: { assets: Map<string, Asset>; history: HistoryApi; token: string; hubId: string; version: string },
): void {
  const url = new URL(request.url ?? '/', 'http://hub')
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    json(response, 405, { error: { code: ErrorCodes.USAGE, message: 'only GET is served' } })
    return
  }
  if (url.pathname === '/healthz') {
    json(response, 200, { ok: true, hub: context.version, hubId: context.hubId })
    return
  }
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    if (!tokenMatches(presentedToken(request), context.token)) {
      response.writeHead(401, { 'content-type': 'application/json; charset=utf-8', ...PAGE_HEADERS })
      response.end(UNAUTHORIZED_BODY)
      return
    }
    const answer = context.history.answer(url)
    json(response, answer.status, answer.body)
    return
  }
  const asset = context.assets.get(url.pathname)
  if (!asset) {
    const missing = context.assets.size === 0 ? 'the dashboard is not built (npm run build)' : `nothing at ${url.pathname}`
    json(response, context.assets.size === 0 ? 503 : 404, { error: { code: ErrorCodes.NOT_FOUND, message: missing } })
    return
  }
  response.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, ...PAGE_HEADERS })
  response.end(request.method === 'HEAD' ? undefined : asset.body)
}

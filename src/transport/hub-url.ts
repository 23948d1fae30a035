import { ErrorCodes, FlakelineError } from '../errors.js'
import { quotedText } from '../identity.js'

/** A hub address a client connects to. */
export interface HubAddress {
  transport: 'ws' | 'quic'
  /** For WebSocket: the full `ws://` or `wss://` URL of the endpoint (path `/ws` unless given). */
  url: string
  host: string
  port: number
  /** QUIC: the certificate SHA-256 to pin (lowercase hex), from `?fingerprint=`. */
  fingerprint: string | null
}

/**
 * Parses `ws://host:port`, `wss://host:port/path` or `quic://host:port?fingerprint=HEX`. `label`
 * names where the URL came from in the error (`FLAKELINE_HUB`, `options.hub`).
 */
export function parseHubUrl(text: string, label = 'the hub URL'): HubAddress {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new FlakelineError(ErrorCodes.CONFIG, `${label} must be a URL like ws://127.0.0.1:7357 or quic://127.0.0.1:7358, got ${quotedText(shownHubUrl(text))}`)
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws'
    const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80))
    return { transport: 'ws', url: url.toString(), host, port, fingerprint: null }
  }
  if (url.protocol === 'quic:') {
    if (!url.port) throw new FlakelineError(ErrorCodes.CONFIG, `${label} needs a port for QUIC, like quic://127.0.0.1:7358`)
    const fingerprint = url.searchParams.get('fingerprint')?.toLowerCase().replace(/:/g, '') ?? null
    if (fingerprint !== null && !/^[0-9a-f]{64}$/.test(fingerprint)) {
      throw new FlakelineError(ErrorCodes.CONFIG, `${label}: fingerprint must be the certificate's SHA-256 as 64 hex digits`)
    }
    return { transport: 'quic', url: url.toString(), host, port: Number(url.port), fingerprint }
  }
  throw new FlakelineError(ErrorCodes.CONFIG, `${label} must start with ws://, wss:// or quic://, got ${quotedText(shownHubUrl(text))}`)
}

/**
 * `url` as messages show it: a `token` in its query (a dashboard link pasted as the hub's address)
 * is replaced by `***`, so a warning in a CI log never carries it.
 */
export function shownHubUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1***')
}

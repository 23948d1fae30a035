import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** One static file of the dashboard, read once. */
export interface Asset {
  body: Buffer
  contentType: string
}

/**
 * The built dashboard's directory: `dist/dashboard`, found from this module in the ESM build
 * (`dist/src/hub`), in the Jest reporter's CommonJS bundle (`dist/cjs`), or from the sources.
 */
export function dashboardDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url))
  // Built: dist/src/hub or dist/cjs. From the sources (the repository's tests): the build's output.
  for (const candidate of [join(here, '..', '..', 'dashboard'), join(here, '..', 'dashboard'), join(here, '..', '..', 'dist', 'dashboard')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate
  }
  return null
}

/** Every file of the built dashboard by URL path (`/` is index.html), or an empty map when it is not built. */
export function loadDashboardAssets(dir: string | null = dashboardDir()): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  if (!dir) return assets
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)]
    if (!contentType) continue
    const asset = { body: readFileSync(join(dir, name)), contentType }
    assets.set(name === 'index.html' ? '/' : `/${name}`, asset)
  }
  return assets
}

import { createRequire } from 'node:module'
import { join } from 'node:path'

/**
 * Resolves `specifier` the way the user's runner would: from the project root first, then from
 * flakeline's own location. Returns null when neither finds it.
 */
export function resolveFrom(specifier: string, directories: readonly string[]): string | null {
  for (const directory of directories) {
    try {
      return createRequire(join(directory, 'noop.js')).resolve(specifier)
    } catch {
      // try the next directory
    }
  }
  return null
}

/** Version of an installed package as the project sees it, or `unknown`. */
export function installedVersion(packageName: string, directories: readonly string[]): string {
  const manifest = resolveFrom(`${packageName}/package.json`, directories)
  if (!manifest) return 'unknown'
  try {
    return (createRequire(manifest)(manifest) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

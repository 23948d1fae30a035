import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  files: string[]
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)))
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

// A specifier has no whitespace (which keeps prose like `… starts from', ` in a string out).
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"\s]+)['"]/gm

describe('what the published package imports', () => {
  test('every bare import in bin/ and dist/ (code and declarations) is a dependency, a peer or a Node builtin', () => {
    const shipped = ['bin', 'dist'].flatMap((entry) => filesUnder(join(REPO, entry))).filter((file) => /\.(?:js|cjs|mjs|d\.ts|d\.cts)$/.test(file))
    expect(shipped.length).toBeGreaterThan(50)
    const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)])
    const builtins = new Set(builtinModules)
    const undeclared: string[] = []
    for (const file of shipped) {
      // The dashboard's browser bundle has its libraries inlined.
      if (relative(REPO, file).startsWith(join('dist', 'dashboard'))) continue
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        if (specifier!.startsWith('.') || specifier!.startsWith('/') || specifier!.startsWith('node:')) continue
        const name = packageOf(specifier!)
        if (!declared.has(name) && !builtins.has(name)) undeclared.push(`${relative(REPO, file)}: ${specifier}`)
      }
    }
    expect(undeclared).toEqual([])
  })

  test('peers are optional (a Jest project never needs Vitest, nor anyone QUIC), and nothing is both a dependency and a peer', () => {
    for (const peer of Object.keys(manifest.peerDependencies)) expect(manifest.peerDependenciesMeta[peer]?.optional, peer).toBe(true)
    expect(Object.keys(manifest.dependencies).filter((name) => name in manifest.peerDependencies)).toEqual([])
  })

  test("the README's \"Dependencies and why\" names every dependency and peer, and nothing else", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Dependencies and why'), readme.indexOf('Development only:'))
    // The first cell of each table row names one or more packages: | `jest`, `vitest` | why |
    const named = Array.from(section.matchAll(/^\| ([^|]+) \|/gm)).flatMap(([, cell]) => Array.from(cell!.matchAll(/`([^`]+)`/g), ([, name]) => name!))
    expect(named.filter((name) => name !== 'package').sort()).toEqual([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)].sort())
  })
})

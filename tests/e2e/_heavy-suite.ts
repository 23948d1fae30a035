import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** How long each generated file's import keeps the CPU busy, in ms: a floor its recorded cost must reach. */
export function importCostMs(index: number): number {
  return 120 + ((index * 37) % 5) * 60
}

/**
 * Writes `count` test files into `dir/tests`, each importing a module of its own that spends
 * `importCostMs(i)` of wall time at import (as a big dependency graph or a slow transform would),
 * with tests that take almost nothing: most of each file's cost is before and around its tests.
 */
export function writeHeavySuite(dir: string, count: number): string[] {
  mkdirSync(join(dir, 'tests'), { recursive: true })
  mkdirSync(join(dir, 'heavy'), { recursive: true })
  const paths: string[] = []
  for (let i = 0; i < count; i++) {
    writeFileSync(join(dir, 'heavy', `module-${i}.js`), `const until = Date.now() + ${importCostMs(i)}\nwhile (Date.now() < until) {}\nexport const value = ${i}\n`)
    const path = `tests/heavy-${String(i).padStart(2, '0')}.test.js`
    writeFileSync(join(dir, path), `import { value } from '../heavy/module-${i}.js'\ntest('imports module ${i}', () => { expect(value).toBe(${i}) })\n`)
    paths.push(path)
  }
  return paths
}

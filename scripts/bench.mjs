// `npm run bench`: runs every tests/bench/*.bench.ts (or those named on the command line) against
// the built output. Each file is bundled by esbuild beside itself (its imports of ../../dist stay
// imports of the built package) and run in its own Node process; each prints its own ratios.
import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const benchDir = join(root, 'tests', 'bench')
const wanted = process.argv.slice(2)
const files = readdirSync(benchDir)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.includes(w)))
  .sort()

let failed = 0
for (const name of files) {
  const source = join(benchDir, name)
  const out = join(benchDir, `.${name.replace(/\.ts$/, '')}.mjs`)
  await esbuild.build({
    entryPoints: [source],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    external: ['../../dist/*', '../../scripts/*'],
    logLevel: 'warning',
  })
  console.log(`\n## ${name}`)
  const status = spawnSync(process.execPath, ['--expose-gc', out], { cwd: root, stdio: 'inherit' }).status
  rmSync(out, { force: true })
  if (status !== 0) failed++
}
process.exit(failed ? 1 : 0)

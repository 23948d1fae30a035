// Compiles the AssemblyScript kernels (wasm/assembly/*.ts) into dist/wasm/kernels.wasm and
// prints its size. Called by scripts/build.mjs before tsc; the .wasm ships in the package.
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import asc from 'assemblyscript/asc'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sources = join(root, 'wasm', 'assembly')
const outFile = join(root, 'dist', 'wasm', 'kernels.wasm')
mkdirSync(dirname(outFile), { recursive: true })

const entries = readdirSync(sources)
  .filter((name) => name.endsWith('.ts'))
  .sort()
  .map((name) => relative(root, join(sources, name)))

const { error, stderr } = await asc.main([
  ...entries,
  '--outFile', relative(root, outFile),
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--converge',
  '--noAssert',
  '--enable', 'simd',
  // The host manages memory (see wasm/assembly/index.ts): no allocator, no GC, no imports.
  '--runtime', 'stub',
  '--use', 'abort=',
  '--initialMemory', '1',
  '--baseDir', root,
])
if (error) {
  console.error(stderr.toString())
  console.error(`build-wasm: ${error.message}`)
  process.exit(1)
}
const warnings = stderr.toString().trim()
if (warnings) console.error(warnings)
console.log(`build-wasm: ${relative(root, outFile)} ${statSync(outFile).size} bytes`)

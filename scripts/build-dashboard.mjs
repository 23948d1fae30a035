// Builds the live dashboard into dist/dashboard: type-checks the browser code (DOM types, kept
// apart from the Node build), bundles it with uPlot and msgpackr (no CDN), and copies the static files.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const source = join(root, 'src', 'dashboard', 'browser')
const out = join(root, 'dist', 'dashboard')

try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(source, 'tsconfig.json')], { stdio: 'inherit', cwd: root })
} catch {
  console.error('build-dashboard: TypeScript reported errors (above)')
  process.exit(1)
}
mkdirSync(out, { recursive: true })
await esbuild.build({
  entryPoints: [join(source, 'main.ts')],
  outfile: join(out, 'dashboard.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
})
copyFileSync(join(source, 'index.html'), join(out, 'index.html'))
copyFileSync(join(source, 'dashboard.css'), join(out, 'dashboard.css'))
copyFileSync(join(source, 'favicon.svg'), join(out, 'favicon.svg'))
copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(out, 'uPlot.min.css'))

// Builds the package: TypeScript to ESM with declarations (tsc), then the CommonJS entry points
// Jest loads by module path (esbuild bundles our code; packages stay external).
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

// The AssemblyScript kernels compile first; their .wasm ships in dist/wasm.
const wasmBuild = join(root, 'scripts', 'build-wasm.mjs')
if (existsSync(wasmBuild)) {
  try {
    execFileSync(process.execPath, [wasmBuild], { stdio: 'inherit', cwd: root })
  } catch {
    console.error('build: the WebAssembly kernels did not compile (above)')
    process.exit(1)
  }
}
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root })
} catch {
  console.error('build: TypeScript reported errors (above)')
  process.exit(1)
}

// The live dashboard's browser bundle and static files, in dist/dashboard.
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-dashboard.mjs')], { stdio: 'inherit', cwd: root })
} catch {
  console.error('build: the dashboard did not build (above)')
  process.exit(1)
}

const esbuild = await import('esbuild')
for (const [entry, out, name] of [
  ['reporters/jest.ts', 'dist/cjs/jest-reporter.cjs', 'FlakelineJestReporter'],
  ['sequencers/jest.ts', 'dist/cjs/jest-sequencer.cjs', 'FlakelineJestSequencer'],
]) {
  await esbuild.build({
    entryPoints: [join(root, entry)],
    outfile: join(root, out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    // Jest expects the class itself from require(); import.meta.url has a CommonJS equivalent.
    footer: { js: 'module.exports = module.exports.default;' },
    define: { 'import.meta.url': '__flakeline_import_meta_url' },
    banner: { js: "const __flakeline_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  })
  // `require('flakeline/jest-reporter')` is the class itself, so its declarations say `export =`
  // (an `export default` would type `.default`, which does not exist in the CommonJS bundle). The
  // types come from the ES module declarations, which a CommonJS file may only name with a
  // resolution mode (TypeScript 5.3 or newer).
  const from = (path) => `import('${path}', { with: { 'resolution-mode': 'import' } })`
  writeFileSync(
    join(root, out.replace(/\.cjs$/, '.d.cts')),
    [
      `declare const ${name}: typeof ${from(`../${entry.replace(/\.ts$/, '.js')}`)}.default`,
      `type ${name} = ${from(`../${entry.replace(/\.ts$/, '.js')}`)}.default`,
      ...(entry.startsWith('reporters/')
        ? [
            `declare namespace ${name} {`,
            `  /** The options in \`['flakeline/jest-reporter', options]\` (or flakeline.config.json). */`,
            `  type Options = Partial<${from('../src/config/options.js')}.FlakelineOptions>`,
            `}`,
          ]
        : []),
      `export = ${name}`,
      '',
    ].join('\n'),
  )
}

// ensureBuild (scripts/test-installs.mjs) skips the build while this stamp matches the sources.
const { stampBuild } = await import('./test-installs.mjs')
stampBuild()

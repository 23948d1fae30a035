// `npm test`: builds what the tests need (TypeScript, the .wasm kernels), type-checks the tests,
// runs the suite with flakeline's own reporter and sequencer (the e2e project's global setup packs
// the package and installs it beside the real runners, outside the repository), and ends with a
// plain "N passed, N failed" line and the wall time.
// `npm run test:unit` (`--unit`): the unit tests only, without the runners' installs.
// Other arguments go to Vitest (`npm test -- tests/unit/core/options.test.ts`).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuild } from './test-installs.mjs'

const started = Date.now()
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`

const unitOnly = process.argv.includes('--unit')
const vitestArgs = process.argv.slice(2).filter((arg) => arg !== '--unit')

try {
  await ensureBuild()
} catch {
  console.log(`\n0 passed, 1 failed (the build failed, above) in ${seconds()}`)
  process.exit(1)
}
if (run([require.resolve('typescript/bin/tsc'), '-p', join(root, 'tests', 'tsconfig.json')]) !== 0) {
  console.log(`\n0 passed, 1 failed (the tests do not type-check, above) in ${seconds()}`)
  process.exit(1)
}

const results = join(root, 'node_modules', '.cache', 'flakeline-test-results.json')
rmSync(results, { force: true })
const status = run([join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...(unitOnly ? ['--project', 'unit'] : []), ...vitestArgs])
if (existsSync(results)) {
  const report = JSON.parse(readFileSync(results, 'utf8'))
  const skipped = report.numPendingTests + report.numTodoTests
  console.log(`\n${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped in ${seconds()}`)
} else {
  console.log(`\n0 passed, 1 failed (the test run produced no results) in ${seconds()}`)
}
process.exit(status)

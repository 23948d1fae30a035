// `npm test`: builds what the tests need (TypeScript, the .wasm kernels), prepares the runner
// installs for the end-to-end tests, runs the suite with flakeline's own reporter and sequencer,
// and ends with a plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = (args, options = {}) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...options }).status ?? 1

if (run([join(root, 'scripts', 'build.mjs')]) !== 0) process.exit(1)
const results = join(root, 'node_modules', '.cache', 'flakeline-test-results.json')
rmSync(results, { force: true })
const status = run([join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)])
if (existsSync(results)) {
  const report = JSON.parse(readFileSync(results, 'utf8'))
  const skipped = report.numPendingTests + report.numTodoTests
  console.log(`\n${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`)
} else {
  console.log('\n0 passed, 1 failed (the test run produced no results)')
}
process.exit(status)

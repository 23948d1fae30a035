import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { defineConfig } from 'vitest/config'
import { QUIC_ENTRY } from './scripts/test-installs.mjs'

// flakeline orders and records its own test suite, from the built package (npm test and the
// projects' global setups build it). A checkout that was never built runs without it this once.
const built = fileURLToPath(new URL('./dist/sequencers/vitest.js', import.meta.url))
const flakeline = existsSync(built) ? ((await import(pathToFileURL(built).href)) as typeof import('./dist/sequencers/vitest.js')) : null
if (!flakeline) console.log('flakeline: dist/ is not built yet, so this run is neither ordered nor recorded by flakeline')

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two files at a time even on 2 cores (Vitest's default there is one): e2e files mostly wait on
    // the runner processes they start, so two of them keep both cores busy.
    maxWorkers: 2,
    reporters: [
      'default',
      ...(flakeline ? ['./dist/reporters/vitest.js'] : []),
      ['json', { outputFile: 'node_modules/.cache/flakeline-test-results.json' }],
    ],
    ...(flakeline ? { sequence: { sequencer: flakeline.FlakelineSequencer } } : {}),
    // @matrixai/quic is an optional peer, not installed here (see scripts/test-installs.mjs).
    alias: { '@matrixai/quic': QUIC_ENTRY },
    projects: [
      // Unit tests: the build and the QUIC side install, nothing else; `npm run test:unit`.
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], globalSetup: ['tests/unit/global-setup.ts'] } },
      // End to end: the packed package installed beside real runners outside the repository. Each test
      // drives many runner processes, so a loaded machine gets minutes, not the unit tests' two.
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], globalSetup: ['tests/e2e/global-setup.ts'], testTimeout: 600_000 } },
    ],
  },
})

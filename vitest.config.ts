import { defineConfig } from 'vitest/config'
// flakeline orders and records its own test suite (npm test builds dist first).
import { FlakelineSequencer } from './dist/sequencers/vitest.js'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', './dist/reporters/vitest.js', ['json', { outputFile: 'node_modules/.cache/flakeline-test-results.json' }]],
    sequence: { sequencer: FlakelineSequencer },
  },
})

import { dirname, join } from 'node:path'
import { ErrorCodes, FlakelineError } from '../errors.js'
import { readFileSync } from 'node:fs'
import { resolveFrom } from '../core/module-lookup.js'
import { OWN_DIR } from '../core/own-location.js'

export interface DemoRunner {
  name: 'vitest'
  version: string
  /** The runner's command-line entry, run with `node`. */
  bin: string
}

/**
 * The Vitest the demo runs: the project's own (from the working directory), else the one beside
 * flakeline. Vitest runs the bundled suite's ES modules as they are; Jest would need a transform.
 */
export function findDemoRunner(cwd: string): DemoRunner {
  const manifest = resolveFrom('vitest/package.json', [cwd, OWN_DIR])
  if (!manifest) {
    throw new FlakelineError(
      ErrorCodes.DEMO_RUNNER,
      'the demo runs its suite with Vitest, and none is installed here: npm install --save-dev vitest (3 or newer), then run flakeline demo again',
    )
  }
  const dir = dirname(manifest)
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }
  return { name: 'vitest', version, bin: join(dir, 'vitest.mjs') }
}

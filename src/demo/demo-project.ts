import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { OWN_DIR } from '../core/own-location.js'

/** The package root, from dist/src/core (built) or src/core (tests run from source). */
export const PACKAGE_ROOT = join(OWN_DIR, OWN_DIR.includes(`${join('dist', 'src')}`) ? '../../..' : '../..')

/** The built module flakeline's demo config imports, whether running from dist or source. */
function builtModule(path: string): string {
  return pathToFileURL(join(PACKAGE_ROOT, 'dist', path)).href
}

/**
 * Writes the demo project into a new temporary directory: the bundled fixture suite (slow,
 * failing, retried and randomly failing files) and a Vitest config that uses flakeline's
 * reporter and sequencer by absolute path, so nothing needs installing there.
 */
export function createDemoProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeline-demo-'))
  const suite = join(PACKAGE_ROOT, 'fixtures', 'suite')
  cpSync(join(suite, 'src'), join(dir, 'src'), { recursive: true })
  cpSync(join(suite, 'tests'), join(dir, 'tests'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "name": "flakeline-demo", "private": true, "type": "module" }\n')
  writeFileSync(join(dir, 'setup.js'), 'globalThis.retrying = (name, times, body) => describe(name, { retry: times }, body)\n')
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    [
      `import { FlakelineSequencer } from ${JSON.stringify(builtModule('sequencers/vitest.js'))}`,
      '',
      'export default {',
      '  test: {',
      '    globals: true,',
      "    include: ['tests/**/*.test.js'],",
      "    setupFiles: ['./setup.js'],",
      '    maxWorkers: 2,',
      `    reporters: [${JSON.stringify(builtModule('src/demo/progress-reporter.js'))}, ${JSON.stringify(builtModule('reporters/vitest.js'))}],`,
      '    sequence: { sequencer: FlakelineSequencer },',
      '  },',
      '}',
      '',
    ].join('\n'),
  )
  return dir
}

// Prepares the runner installs the end-to-end tests drive: one npm project per runner version
// (Jest 29 and 30, Vitest 3 and 4), each with the built flakeline installed the way npm would
// install it (package.json and dist copied; its dependencies linked from this checkout).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..', '..')
export const RUNNERS = ['jest29', 'jest30', 'vitest3', 'vitest4']

function installRunner(name) {
  const dir = join(here, name)
  const manifest = readFileSync(join(dir, 'package.json'))
  const hash = createHash('sha256').update(manifest).digest('hex')
  const marker = join(dir, 'node_modules', '.flakeline-e2e-hash')
  if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) return
  console.log(`e2e: installing ${name} (npm install)`)
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, stdio: 'inherit' })
  writeFileSync(marker, hash)
}

function installFlakeline(name) {
  const target = join(here, name, 'node_modules', 'flakeline')
  rmSync(target, { recursive: true, force: true })
  mkdirSync(join(target, 'node_modules'), { recursive: true })
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
  for (const entry of ['package.json', 'dist', 'bin', 'fixtures/suite']) {
    if (existsSync(join(repo, entry))) cpSync(join(repo, entry), join(target, entry), { recursive: true })
  }
  for (const dependency of Object.keys(pkg.dependencies ?? {})) {
    const link = join(target, 'node_modules', dependency)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(join(repo, 'node_modules', dependency), link, 'dir')
  }
}

export function prepareRunners(names = RUNNERS) {
  if (!existsSync(join(repo, 'dist', 'src', 'index.js'))) throw new Error('e2e: build first (npm run build)')
  for (const name of names) {
    installRunner(name)
    installFlakeline(name)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) prepareRunners(process.argv.slice(2).length ? process.argv.slice(2) : RUNNERS)

// What the tests need outside the repository, made the way a user makes it: the package packed with
// `npm pack`, and one npm project per runner (Jest 29 and 30, Vitest 3 and 4) that installs the
// packed file beside its runner. They live in the system's temporary directory, never under this
// checkout, so Node's module lookup cannot fall back to this repository's node_modules and an
// undeclared dependency fails a test, as it would fail a user.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
export const RUNNERS = ['jest29', 'jest30', 'vitest3', 'vitest4']

/** One directory per checkout (keyed by its path), so two clones on a machine never share installs. */
export const INSTALLS_DIR =
  process.env.FLAKELINE_TEST_INSTALLS ?? join(tmpdir(), `flakeline-test-${createHash('sha256').update(REPO).digest('hex').slice(0, 10)}`)

/** The version of @matrixai/quic (an optional peer) the tests install where they stream over QUIC. */
export const QUIC_VERSION = '2.0.9'
const QUIC_DIR = join(INSTALLS_DIR, 'quic')

/** The entry of the side install of @matrixai/quic that the repository's own tests alias. */
export const QUIC_ENTRY = join(QUIC_DIR, 'node_modules', '@matrixai', 'quic', 'dist', 'index.js')

const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: ['ignore', 'inherit', 'inherit'] })

/** Serialises `work` across processes (two Vitest projects' global setups may run at once). */
export async function withLock(name, work) {
  mkdirSync(INSTALLS_DIR, { recursive: true })
  const lock = join(INSTALLS_DIR, `${name}.lock`)
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), String(process.pid))
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      let owner = NaN
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'))
      } catch {}
      // A lock whose process is gone (killed mid-install) is taken over.
      if (Number.isInteger(owner) && !isAlive(owner)) rmSync(lock, { recursive: true, force: true })
      else if (waited > 20 * 60_000) throw new Error(`test installs: ${lock} held for 20 minutes`)
      await sleep(200)
    }
  }
  try {
    return await work()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/** Every file the build reads, hashed: dist is stale when this differs from the build's stamp. */
export function buildInputsHash() {
  const hash = createHash('sha256')
  const visit = (path) => {
    const stat = statSync(path)
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name !== 'node_modules') visit(join(path, name))
    } else {
      hash.update(relative(REPO, path)).update('\0').update(readFileSync(path)).update('\0')
    }
  }
  for (const entry of ['src', 'reporters', 'sequencers', 'wasm', 'scripts/build.mjs', 'scripts/build-wasm.mjs', 'scripts/build-dashboard.mjs', 'tsconfig.json', 'package.json']) {
    if (existsSync(join(REPO, entry))) visit(join(REPO, entry))
  }
  return hash.digest('hex')
}

const BUILD_STAMP = join(REPO, 'dist', '.inputs-hash')

/** Runs the build unless dist was built from exactly these sources. */
export async function ensureBuild() {
  await withLock('build', () => {
    if (existsSync(BUILD_STAMP) && readFileSync(BUILD_STAMP, 'utf8') === buildInputsHash()) return
    execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' })
  })
}

/** Writes the stamp `ensureBuild` compares against (called by the build when it succeeds). */
export function stampBuild() {
  writeFileSync(BUILD_STAMP, buildInputsHash())
}

/**
 * `npm pack`s the built package into INSTALLS_DIR as `flakeline-<content hash>.tgz` (a new name for
 * new contents, so npm never reuses an older install of the same file name) and returns its path.
 */
export function packFlakeline() {
  const out = join(INSTALLS_DIR, 'pack')
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  execFileSync('npm', ['pack', '--pack-destination', out, '--loglevel=error'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] })
  const [packed] = readdirSync(out).filter((name) => name.endsWith('.tgz'))
  const bytes = readFileSync(join(out, packed))
  const tarball = join(INSTALLS_DIR, `flakeline-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.tgz`)
  if (!existsSync(tarball)) writeFileSync(tarball, bytes)
  rmSync(out, { recursive: true, force: true })
  return tarball
}

/**
 * The runner's project in INSTALLS_DIR: its manifest from tests/e2e/runners/<name>/package.json
 * installed with `npm install` (again only when the manifest changes), then the packed flakeline
 * installed into it with `npm install <tarball>`, exactly as the README tells a user.
 */
export function runnerDir(name) {
  return join(INSTALLS_DIR, name)
}

function prepareRunner(name, tarball) {
  const dir = runnerDir(name)
  const manifest = readFileSync(join(REPO, 'tests', 'e2e', 'runners', name, 'package.json'), 'utf8')
  const manifestHash = createHash('sha256').update(manifest).digest('hex')
  const marker = join(dir, '.manifest-hash')
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== manifestHash) {
    console.log(`test installs: ${name} (npm install in ${dir})`)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), manifest)
    npm(['install', '--prefer-offline'], dir)
    writeFileSync(marker, manifestHash)
  }
  const installed = join(dir, '.flakeline-tarball')
  if (existsSync(installed) && readFileSync(installed, 'utf8') === tarball && existsSync(join(dir, 'node_modules', 'flakeline'))) return
  npm(['install', '--prefer-offline', '--save-dev', tarball], dir)
  writeFileSync(installed, tarball)
}

/** Builds if needed, packs, and prepares the named runner projects; returns the tarball. */
export async function prepareRunners(names = RUNNERS) {
  await ensureBuild()
  return withLock('runners', () => {
    const tarball = packFlakeline()
    for (const name of names) prepareRunner(name, tarball)
    // Older tarballs are no longer installed anywhere.
    for (const name of readdirSync(INSTALLS_DIR)) {
      if (/^flakeline-[0-9a-f]{16}\.tgz$/.test(name) && join(INSTALLS_DIR, name) !== tarball) rmSync(join(INSTALLS_DIR, name), { force: true })
    }
    return tarball
  })
}

/**
 * @matrixai/quic is an optional peer of flakeline, not a dependency of this repository (its lock
 * entries break `npm ci`, see the README). The repository's own tests that stream over QUIC import
 * it from this side install, through an alias in vitest.config.ts.
 */
export async function prepareQuic() {
  await withLock('quic', () => {
    if (existsSync(QUIC_ENTRY)) return
    console.log(`test installs: @matrixai/quic@${QUIC_VERSION} (npm install in ${QUIC_DIR})`)
    rmSync(QUIC_DIR, { recursive: true, force: true })
    mkdirSync(QUIC_DIR, { recursive: true })
    writeFileSync(join(QUIC_DIR, 'package.json'), JSON.stringify({ name: 'flakeline-test-quic', private: true }))
    npm(['install', '--prefer-offline', `@matrixai/quic@${QUIC_VERSION}`], QUIC_DIR)
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2)
  await prepareQuic()
  console.log(await prepareRunners(names.length ? names : RUNNERS))
}

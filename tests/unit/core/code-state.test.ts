import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, expect } from 'vitest'
import { detectCodeState } from '../../../src/code-state.js'
import { useScratch } from './_fixtures.js'

const scratch = useScratch()

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim()
}

/** A repository with one commit on `main` and a clean work tree. */
function repository(): { dir: string; head: string } {
  const dir = scratch.dir('flakeline-git-')
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'config', 'user.email', 'tests@flakeline.invalid')
  git(dir, 'config', 'user.name', 'flakeline tests')
  writeFileSync(join(dir, 'package.json'), '{"name":"fixture"}\n')
  git(dir, 'add', 'package.json')
  git(dir, 'commit', '-q', '-m', 'first')
  return { dir, head: git(dir, 'rev-parse', 'HEAD') }
}

describe('detectCodeState from git', () => {
  test('a clean checkout: the commit SHA, the branch, not dirty', async () => {
    const { dir, head } = repository()
    expect(head).toMatch(/^[0-9a-f]{40}$/)
    expect(await detectCodeState(dir, {})).toEqual({ commit: head, dirty: false, branch: 'main', source: 'git' })
  })

  test('a changed tracked file makes it dirty', async () => {
    const { dir, head } = repository()
    writeFileSync(join(dir, 'package.json'), '{"name":"changed"}\n')
    expect(await detectCodeState(dir, {})).toEqual({ commit: head, dirty: true, branch: 'main', source: 'git' })
  })

  test('an untracked file makes it dirty', async () => {
    const { dir } = repository()
    writeFileSync(join(dir, 'new.test.ts'), '')
    expect((await detectCodeState(dir, {})).dirty).toBe(true)
  })

  test('the store directory itself does not make it dirty', async () => {
    const { dir } = repository()
    mkdirSync(join(dir, '.flakeline'))
    writeFileSync(join(dir, '.flakeline', 'history.mdb'), 'x')
    expect((await detectCodeState(dir, {})).dirty).toBe(false)
  })

  test('a detached HEAD has no branch', async () => {
    const { dir, head } = repository()
    git(dir, 'switch', '-q', '--detach', 'HEAD')
    expect(await detectCodeState(dir, {})).toEqual({ commit: head, dirty: false, branch: null, source: 'git' })
  })

  test('a repository without commits has no commit', async () => {
    const dir = scratch.dir('flakeline-git-')
    git(dir, 'init', '-q', '-b', 'main')
    expect(await detectCodeState(dir, {})).toMatchObject({ commit: null, dirty: false, source: 'none' })
  })
})

describe('detectCodeState from CI variables', () => {
  test('GITHUB_SHA wins over git, GITHUB_HEAD_REF over GITHUB_REF_NAME', async () => {
    const { dir } = repository()
    const sha = 'f'.repeat(40)
    const env = { GITHUB_SHA: sha, CI_COMMIT_SHA: 'c'.repeat(40), GITHUB_REF_NAME: 'refs-name', GITHUB_HEAD_REF: 'feature/x' }
    expect(await detectCodeState(dir, env)).toEqual({ commit: sha, dirty: false, branch: 'feature/x', source: 'GITHUB_SHA' })
  })

  test('the next variable in the list when GITHUB_SHA is absent or empty', async () => {
    const { dir } = repository()
    expect(await detectCodeState(dir, { GITHUB_SHA: '', CI_COMMIT_SHA: 'abc1234', CI_COMMIT_REF_NAME: 'release' })).toEqual({
      commit: 'abc1234',
      dirty: false,
      branch: 'release',
      source: 'CI_COMMIT_SHA',
    })
  })

  test('the dirty flag still comes from git', async () => {
    const { dir } = repository()
    writeFileSync(join(dir, 'scratch.txt'), '')
    expect(await detectCodeState(dir, { BUILDKITE_COMMIT: '1234567' })).toMatchObject({ commit: '1234567', dirty: true, branch: 'main', source: 'BUILDKITE_COMMIT' })
  })
})

describe('detectCodeState outside git', () => {
  test('no commit, not dirty, no branch', async () => {
    const dir = scratch.dir('flakeline-nogit-')
    writeFileSync(join(dir, 'a.test.ts'), '')
    expect(await detectCodeState(dir, {})).toEqual({ commit: null, dirty: false, branch: null, source: 'none' })
  })

  test('a CI variable still gives the commit', async () => {
    const dir = scratch.dir('flakeline-nogit-')
    expect(await detectCodeState(dir, { GIT_COMMIT: 'abcdef0', GIT_BRANCH: 'origin/main' })).toEqual({
      commit: 'abcdef0',
      dirty: false,
      branch: 'origin/main',
      source: 'GIT_COMMIT',
    })
  })
})

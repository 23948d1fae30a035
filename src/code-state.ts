import { execFile } from 'node:child_process'
import type { CodeState } from './records.js'

/** CI variables that carry the commit under test, checked in this order. */
const COMMIT_VARIABLES = [
  'GITHUB_SHA',
  'CI_COMMIT_SHA',
  'BUILDKITE_COMMIT',
  'CIRCLE_SHA1',
  'TRAVIS_COMMIT',
  'BITBUCKET_COMMIT',
  'DRONE_COMMIT_SHA',
  'SEMAPHORE_GIT_SHA',
  'GIT_COMMIT',
  'BUILD_SOURCEVERSION',
] as const

const BRANCH_VARIABLES = [
  'GITHUB_HEAD_REF',
  'GITHUB_REF_NAME',
  'CI_COMMIT_REF_NAME',
  'BUILDKITE_BRANCH',
  'CIRCLE_BRANCH',
  'TRAVIS_BRANCH',
  'BITBUCKET_BRANCH',
  'GIT_BRANCH',
] as const

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000, windowsHide: true }, (error, stdout) => {
      resolve(error ? null : stdout.trim())
    })
  })
}

/**
 * The code state of a run: the commit from CI variables or git, and a dirty flag from `git status`
 * (the store directory itself is ignored). Never rejects: outside git the state is `{ commit: null }`.
 */
export async function detectCodeState(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CodeState> {
  const ciVariable = COMMIT_VARIABLES.find((name) => env[name])
  const branchVariable = BRANCH_VARIABLES.find((name) => env[name])
  const [head, status, branch] = await Promise.all([
    ciVariable ? Promise.resolve(null) : git(cwd, ['rev-parse', 'HEAD']),
    git(cwd, ['status', '--porcelain', '--', '.', ':(exclude).flakeline']),
    branchVariable ? Promise.resolve(null) : git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
  ])
  const commit = ciVariable ? env[ciVariable]! : head && /^[0-9a-f]{7,64}$/.test(head) ? head : null
  return {
    commit,
    dirty: status !== null && status.length > 0,
    branch: branchVariable ? env[branchVariable]! : branch && branch !== 'HEAD' ? branch : null,
    source: ciVariable ?? (commit ? 'git' : 'none'),
  }
}

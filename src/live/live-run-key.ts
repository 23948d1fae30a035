/**
 * CI variables that identify one job of one pipeline run, in the order they are tried: every shard
 * of a job sees the same values, so shards publishing to one hub are shown as one run.
 */
const CI_KEYS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['github', ['GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_JOB']],
  ['gitlab', ['CI_PIPELINE_ID', 'CI_JOB_NAME']],
  ['buildkite', ['BUILDKITE_BUILD_ID', 'BUILDKITE_STEP_KEY']],
  ['circleci', ['CIRCLE_WORKFLOW_ID', 'CIRCLE_JOB']],
  ['azure', ['BUILD_BUILDID', 'SYSTEM_JOBNAME']],
  ['jenkins', ['BUILD_TAG']],
]

function clean(text: string): string {
  return text.replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, 100)
}

/**
 * The key live frames carry to say which run they belong to: `runId` when the user set one (the
 * documented way to join shards), else the CI job's identity, else this run's own id.
 */
export function liveRunKey(configuredRunId: string | undefined, ownRunId: string, env: NodeJS.ProcessEnv = process.env): string {
  if (configuredRunId) return configuredRunId
  for (const [provider, names] of CI_KEYS) {
    const first = env[names[0]!]
    if (!first) continue
    return clean([provider, ...names.map((name) => env[name] ?? '')].filter(Boolean).join('-'))
  }
  return ownRunId
}

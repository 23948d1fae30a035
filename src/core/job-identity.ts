/**
 * CI variables that identify one job of one pipeline run, in the order they are tried: every shard
 * of a job (a matrix entry) sees the same values, and a re-run attempt sees new ones.
 */
const CI_KEYS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['github', ['GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_JOB']],
  ['gitlab', ['CI_PIPELINE_ID', 'CI_JOB_NAME']],
  ['buildkite', ['BUILDKITE_BUILD_ID', 'BUILDKITE_STEP_KEY']],
  ['circleci', ['CIRCLE_WORKFLOW_ID', 'CIRCLE_JOB']],
  ['azure', ['BUILD_BUILDID', 'SYSTEM_JOBNAME']],
  ['jenkins', ['BUILD_TAG']],
]

/** Variables whose presence alone says "this is CI" (besides the keys above). */
const CI_MARKERS = ['CI', 'CONTINUOUS_INTEGRATION', 'JENKINS_URL', 'TF_BUILD', 'TEAMCITY_VERSION']

function clean(text: string): string {
  return text.replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, 100)
}

/** The CI job's identity (`github-123-1-test`), or null outside a CI system flakeline knows. */
export function ciJobKey(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const [provider, names] of CI_KEYS) {
    if (!env[names[0]!]) continue
    return clean([provider, ...names.map((name) => env[name] ?? '')].filter(Boolean).join('-'))
  }
  return null
}

/**
 * Whether this process runs in CI: a known job key, or `CI` and its kind set to something other
 * than `0`/`false`. Shards in CI run on separate machines with separate stores, so they cannot
 * share a plan they did not download.
 */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  if (ciJobKey(env)) return true
  return CI_MARKERS.some((name) => {
    const value = env[name]?.trim().toLowerCase()
    return value !== undefined && value !== '' && value !== '0' && value !== 'false'
  })
}

/**
 * The job a run belongs to, as the store and the hub know it: `runId` when the user set one (the
 * documented way to join shards), else the CI job's identity, else null (a local run is its own job).
 */
export function jobKeyOf(configuredRunId: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  return configuredRunId || ciJobKey(env)
}

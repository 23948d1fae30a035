import { jobKeyOf } from '../core/job-identity.js'

/**
 * The key live frames carry to say which run they belong to: the job's key (`runId` when set, else
 * the CI job's identity), so shards publishing to one hub are shown as one run; else this run's own id.
 */
export function liveRunKey(configuredRunId: string | undefined, ownRunId: string, env: NodeJS.ProcessEnv = process.env): string {
  return jobKeyOf(configuredRunId, env) ?? ownRunId
}

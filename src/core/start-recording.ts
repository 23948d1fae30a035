import { findPackageRoot, loadOptions } from '../config/load-options.js'
import { Notices, type NoticeSink } from './notices.js'
import { RunRecorder, type RunStart } from './run-recorder.js'

/**
 * Loads options for a run rooted at `rootDir` and starts recording. Returns null when flakeline is
 * disabled. Option problems are warned once each (thrown in strict mode).
 */
export async function startRecording(
  rootDir: string,
  inline: unknown,
  start: RunStart,
  sink?: NoticeSink,
): Promise<RunRecorder | null> {
  const { options, problems } = await loadOptions(findPackageRoot(rootDir), inline)
  const notices = new Notices({ quiet: options.quiet, sink })
  for (const problem of problems) {
    if (options.strict) throw problem
    notices.warn(problem)
  }
  if (!options.enabled) return null
  return new RunRecorder(options, start, notices)
}

import { resolve } from 'node:path'
import { findPackageRoot, loadOptions, type ResolvedOptions } from '../config/load-options.js'
import type { CliIO } from './cli-io.js'

/**
 * Options for a CLI command, with the store found as the runners find it: `.flakeline` in the
 * nearest package root above the working directory, unless the config file, `FLAKELINE_DIR` or
 * `--dir` (strongest) says otherwise.
 */
export async function cliOptions(io: CliIO, dirFlag: string | undefined): Promise<{ options: ResolvedOptions; warnings: string[] }> {
  const { options, problems } = await loadOptions(findPackageRoot(io.cwd), undefined, io.env)
  const warnings = problems.map((problem) => `flakeline: warning ${problem.code}: ${problem.message}`)
  return { options: dirFlag ? { ...options, dir: resolve(io.cwd, dirFlag) } : options, warnings }
}

import { planOrder } from '../plan-order.js'
import type { PlanFile } from '../plan-types.js'
import type { PolicyOrder } from './_policy.js'

/**
 * `default`: what Jest and Vitest do by themselves — files that failed last time first, then files
 * never seen, then the longest first. The sequencers hand `default` to the runner itself; this
 * emulation is what `flakeline plan` shows and what `replay` measures as the baseline.
 */
export function runnerDefault(files: readonly PlanFile[]): PolicyOrder {
  const indexOf = new Map(files.map((file, index) => [file.fileId, index]))
  const evidence = new Map(files.map((file) => [file.fileId, file.evidence]))
  const planned = planOrder(
    files.map((file) => file.fileId),
    evidence,
  )
  const reasons = new Map(planned.map((file) => [file.fileId, file.reason]))
  return { order: planned.map((file) => indexOf.get(file.fileId)!), reason: (index) => `runner default: ${reasons.get(files[index]!.fileId)}` }
}

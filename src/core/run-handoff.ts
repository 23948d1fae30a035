import type { SplitInfo } from '../records.js'

/** What the sequencer decided about the split, for the run record the reporter writes. */
export interface SplitDecision {
  info: SplitInfo
  /** The local job's key (`local-…`), when the split came from a local job's plan. */
  job: string | null
  touch?: () => void
}

/**
 * What the sequencer learned while planning that belongs in the run record the reporter writes: the
 * shard split, and the paths changed since the last run. The sequencer and the reporter run in the
 * runner's main process but are loaded separately (the Jest entry points are two CommonJS bundles),
 * so they meet on registries in `globalThis`, keyed by the package root.
 */
const REGISTRY = Symbol.for('flakeline.shardSplits')
const CHANGES = Symbol.for('flakeline.changesSinceLastRun')
/** Paths kept in a run record at most. */
const MAX_CHANGED_PATHS = 2_000

function registry(): Map<string, SplitDecision> {
  const holder = globalThis as { [REGISTRY]?: Map<string, SplitDecision> }
  return (holder[REGISTRY] ??= new Map())
}

/**
 * Records a split of the run at `root`. Vitest 3 splits each pool's files apart, so decisions of one
 * run add up (same mode and fingerprint: they come from one plan).
 */
export function publishSplit(root: string, decision: SplitDecision): void {
  const earlier = registry().get(root)
  if (earlier && earlier.info.fingerprint === decision.info.fingerprint) {
    earlier.info = {
      ...earlier.info,
      filesListed: earlier.info.filesListed + decision.info.filesListed,
      unplanned: earlier.info.unplanned + decision.info.unplanned,
    }
    return
  }
  registry().set(root, decision)
}

/** The split of the run at `root`, removed from the registry (the next run in watch mode splits anew). */
export function takeSplit(root: string): SplitDecision | undefined {
  const decision = registry().get(root)
  registry().delete(root)
  return decision
}

function changesRegistry(): Map<string, string[]> {
  const holder = globalThis as { [CHANGES]?: Map<string, string[]> }
  return (holder[CHANGES] ??= new Map())
}

/** The paths the plan found changed since the last recorded run (bounded), for this run's record. */
export function publishChanges(root: string, paths: ReadonlySet<string>): void {
  changesRegistry().set(root, Array.from(paths).sort().slice(0, MAX_CHANGED_PATHS))
}

/** The changes of the run at `root`, removed from the registry. */
export function takeChanges(root: string): string[] | undefined {
  const paths = changesRegistry().get(root)
  changesRegistry().delete(root)
  return paths
}

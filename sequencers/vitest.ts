import { BaseSequencer, type TestSpecification } from 'vitest/node'
import type { FlakelineOptions } from '../src/config/options.js'
import { findPackageRoot } from '../src/config/load-options.js'
import { planRun, planShard } from '../src/core/plan-run.js'
import { vitestWorkers, type VitestWorkerConfig } from '../src/core/worker-count.js'
import { fileIdOf, relativeTestPath, typecheckProject } from '../src/identity.js'

/**
 * `sequence: { sequencer: FlakelineSequencer }`: orders test files from flakeline's history, and
 * with `--shard` splits them by predicted duration instead of by hash. Without history, or when the
 * store is unusable, Vitest's own order and sharding are used.
 */
export class FlakelineSequencer extends BaseSequencer {
  /** Options given in code; subclasses made by `flakelineSequencer()` set them. */
  protected flakelineOptions(): Partial<FlakelineOptions> | undefined {
    return undefined
  }

  private identify(files: readonly TestSpecification[]) {
    const root = findPackageRoot(this.ctx.config.root)
    const paths = files.map((spec) => relativeTestPath(root, spec.moduleId))
    // Type-check specifications (pool "typescript") are their own files, as the reporter records them.
    const fileIds = files.map((spec, i) => fileIdOf(spec.pool === 'typescript' ? typecheckProject(spec.project.name) : spec.project.name, paths[i]!))
    const workers = vitestWorkers(this.ctx.config as VitestWorkerConfig).workers
    return { root, paths, fileIds, workers, inline: this.flakelineOptions(), runner: 'vitest' }
  }

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    if (files.length === 0) return files
    const request = this.identify(files)
    const plan = await planRun(request)
    if (!plan) return super.sort(files)
    const position = new Map(plan.order.map((file, index) => [file.fileId, index]))
    return files
      .map((spec, i) => ({ spec, index: position.get(request.fileIds[i]!)! }))
      .sort((a, b) => a.index - b.index)
      .map(({ spec }) => spec)
  }

  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    const shard = this.ctx.config.shard
    if (!shard || files.length === 0) return super.shard(files)
    const request = this.identify(files)
    const planned = await planShard({ ...request, shardIndex: shard.index, shardCount: shard.count })
    if (!planned.fileIds) return super.shard(files)
    const kept = new Set(planned.fileIds)
    return files.filter((_, i) => kept.has(request.fileIds[i]!))
  }
}

/** A sequencer class with options given in code, for `sequence: { sequencer: flakelineSequencer({...}) }`. */
export function flakelineSequencer(options: Partial<FlakelineOptions>): typeof FlakelineSequencer {
  return class ConfiguredFlakelineSequencer extends FlakelineSequencer {
    protected override flakelineOptions(): Partial<FlakelineOptions> {
      return options
    }
  }
}

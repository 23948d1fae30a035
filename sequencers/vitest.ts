import { BaseSequencer, type TestSpecification } from 'vitest/node'
import type { FlakelineOptions } from '../src/config/options.js'
import { findPackageRoot } from '../src/config/load-options.js'
import { planRun } from '../src/core/plan-run.js'
import { fileIdOf, relativeTestPath } from '../src/identity.js'

/**
 * `sequence: { sequencer: FlakelineSequencer }`: orders test files from flakeline's history.
 * Without history, or when the store is unusable, Vitest's own order is used.
 */
export class FlakelineSequencer extends BaseSequencer {
  /** Options given in code; subclasses made by `flakelineSequencer()` set them. */
  protected flakelineOptions(): Partial<FlakelineOptions> | undefined {
    return undefined
  }

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    if (files.length === 0) return files
    const root = findPackageRoot(this.ctx.config.root)
    const ids = files.map((spec) => fileIdOf(spec.project.name, relativeTestPath(root, spec.moduleId)))
    const plan = await planRun({ root, fileIds: ids, inline: this.flakelineOptions(), runner: 'vitest' })
    if (!plan) return super.sort(files)
    const position = new Map(plan.map((file, index) => [file.fileId, index]))
    return files
      .map((spec, i) => ({ spec, index: position.get(ids[i]!)! }))
      .sort((a, b) => a.index - b.index)
      .map(({ spec }) => spec)
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

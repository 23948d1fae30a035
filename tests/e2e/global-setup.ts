import type { TestProject } from 'vitest/node'
import { prepareQuic, prepareRunners } from '../../scripts/test-installs.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `npm pack`ed flakeline the runners installed. */
    flakelineTarball: string
  }
}

/** The packed package installed beside Jest 29/30 and Vitest 3/4, outside the repository. */
export default async function setup(project: TestProject): Promise<void> {
  await prepareQuic()
  project.provide('flakelineTarball', await prepareRunners())
}

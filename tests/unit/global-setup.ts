import { ensureBuild, prepareQuic } from '../../scripts/test-installs.mjs'

/** Unit tests read the built kernels and CLI, and stream over QUIC from a side install. */
export default async function setup(): Promise<void> {
  await ensureBuild()
  await prepareQuic()
}

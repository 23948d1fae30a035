// @ts-expect-error plain ESM helper shared with scripts
import { prepareRunners } from './runners/prepare.mjs'

export default function setup(): void {
  prepareRunners()
}

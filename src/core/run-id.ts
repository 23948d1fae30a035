import { randomBytes } from 'node:crypto'

/** A run id that sorts by start time and is unique across machines: `20261122T034501Z-k3f9a2`. */
export function newRunId(startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${randomBytes(4).toString('hex').slice(0, 6)}`
}

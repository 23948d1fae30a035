import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'

/** The temporary file beside `path` that a write goes to first. */
function asideOf(path: string): string {
  return `${path}.${process.pid}.tmp`
}

/**
 * Writes `data` beside `path`, then renames it over `path`, so a reader (a merge job, a shard, a
 * bot posting the report) never sees half a file; the temporary file is removed if anything fails.
 * Throws what the file system threw: callers say what was being written, with their own code.
 */
export async function writeAside(path: string, data: string | Uint8Array): Promise<void> {
  const aside = asideOf(path)
  try {
    await writeFile(aside, data)
    await rename(aside, path)
  } catch (error) {
    await rm(aside, { force: true }).catch(() => {})
    throw error
  }
}

/** `writeAside` for callers that cannot wait (the end of a run). */
export function writeAsideSync(path: string, data: string | Uint8Array): void {
  const aside = asideOf(path)
  try {
    writeFileSync(aside, data)
    renameSync(aside, path)
  } catch (error) {
    rmSync(aside, { force: true })
    throw error
  }
}

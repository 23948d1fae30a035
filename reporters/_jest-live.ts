import type { Test, TestResult } from '@jest/test-result'
import type { ConsoleEntry, StartedFile } from '../src/live/live-frames.js'
import { fileIdOf, relativeTestPath } from '../src/identity.js'

/** A Jest test file's identity, as the recorder names files. */
export function startedFileOf(root: string, test: Test): StartedFile {
  const displayName = test.context.config.displayName
  const project = typeof displayName === 'string' ? displayName : (displayName?.name ?? '')
  const path = relativeTestPath(root, test.path)
  return { fileId: fileIdOf(project, path), project, path }
}

/** Jest buffers a file's console output in its result (unless `--verbose` printed it already). */
export function consoleEntriesOf(result: TestResult, file: StartedFile): ConsoleEntry[] {
  return (result.console ?? []).map((entry) => ({
    stream: entry.type === 'error' || entry.type === 'warn' ? 'stderr' : 'stdout',
    text: `${entry.message}\n`,
    fileId: file.fileId,
    path: file.path,
  }))
}

import { NO_EVIDENCE, fileEvidence, type FileEvidence } from '../../../src/scheduling/file-evidence.js'
import type { PlanFile, Priority } from '../../../src/scheduling/plan-types.js'
import type { TestStatus } from '../../../src/records.js'
import { HistoryWindow } from '../../../src/store/history-window.js'

/** Evidence from `[status, ms]` runs, oldest first, through the store's own evidence code. */
export function evidenceOf(...runs: Array<[TestStatus, number]>): FileEvidence {
  let bytes: Uint8Array | undefined
  runs.forEach(([status, durationMs], i) => {
    bytes = HistoryWindow.append(bytes, { seq: i + 1, status, durationMs, startedAt: 1_000 + i, attempts: 1 }, 200).bytes
  })
  return bytes ? fileEvidence(new HistoryWindow(bytes)) : { ...NO_EVIDENCE }
}

export const PASS = (ms: number): [TestStatus, number] => ['passed', ms]
export const FAIL = (ms: number): [TestStatus, number] => ['failed', ms]

/** `n` passing runs of `ms`. */
export function passes(n: number, ms: number): Array<[TestStatus, number]> {
  return Array.from({ length: n }, () => PASS(ms))
}

export function planFile(fileId: string, evidence: FileEvidence = { ...NO_EVIDENCE }, extra: Partial<PlanFile> = {}): PlanFile {
  return { fileId, evidence, priority: 'normal', prioritySource: null, deadlineMs: null, deadlineSource: null, change: null, ...extra }
}

export function withDeadline(ms: number, source = 'pragma'): Partial<PlanFile> {
  return { deadlineMs: ms, deadlineSource: source }
}

export function withPriority(priority: Priority, source = 'pragma'): Partial<PlanFile> {
  return { priority, prioritySource: source }
}

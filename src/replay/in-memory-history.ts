import type { FileStatus } from '../records.js'
import { fileEvidence, type FileEvidence } from '../scheduling/file-evidence.js'
import { HistoryWindow } from '../store/history-window.js'

/** One file of a run to learn from. */
export interface LearnedFile {
  fileId: string
  status: FileStatus
  durationMs: number
}

/**
 * The store's evidence model without the store: the same packed windows and the same
 * `fileEvidence`, kept in memory, so a replay of thousands of runs learns exactly as the
 * reporter-fed store would, without a write transaction per run.
 */
export class InMemoryHistory {
  readonly historyLimit: number
  private readonly windows = new Map<string, Uint8Array>()
  /** Evidence of every file seen, as the plan index would hold it. */
  readonly evidence = new Map<string, FileEvidence>()
  private seq = 0

  constructor(historyLimit = 200) {
    this.historyLimit = historyLimit
  }

  /** Runs learned so far. */
  get runs(): number {
    return this.seq
  }

  /** An independent copy: what-if replays learn into it without touching this history. */
  clone(): InMemoryHistory {
    const copy = new InMemoryHistory(this.historyLimit)
    for (const [fileId, bytes] of this.windows) copy.windows.set(fileId, bytes)
    for (const [fileId, evidence] of this.evidence) copy.evidence.set(fileId, evidence)
    copy.seq = this.seq
    return copy
  }

  /** Adds one run's results, as the reporter and `updatePlanIndex` would. */
  learn(files: readonly LearnedFile[], startedAt = 0): void {
    const seq = ++this.seq
    for (const file of files) {
      const { bytes } = HistoryWindow.append(this.windows.get(file.fileId), { seq, status: file.status, durationMs: file.durationMs, startedAt, attempts: 1 }, this.historyLimit)
      this.windows.set(file.fileId, bytes)
      this.evidence.set(file.fileId, fileEvidence(new HistoryWindow(bytes)))
    }
  }
}

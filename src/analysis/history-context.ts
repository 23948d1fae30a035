// The measures of a history's context: the hours it failed at, its failure messages, its
// durations, and the files that ran before it.
import { _classifyAt } from './attractor.js'
import { ATTRACTOR_KINDS, DURATION_TAIL, MESSAGE_TOKENS, MESSAGES, NEAR_TIMEOUT, ORDER_MIN_FAILURES, OUTCOME_HALF_LIFE, weight, type HistoryMeasures, type HistoryScratch, type PackedHistories } from './history-types.js'
import type { Kernels } from './kernels.js'
import { _momentsAt } from './periodicity.js'
import { hypergeometricUpperLog10 } from './statistics.js'

// The runners' own words for a test past its time (Vitest "Test timed out in 5000ms", Jest "Exceeded
// timeout of 5000 ms", "Hook timed out"), or a socket's; read in a message's first line only, since a
// stack names timers ("listOnTimeout", "Timeout._onTimeout") whenever a test used setTimeout.
const TIMEOUT_MESSAGE = /\btimed out\b|\bexceeded timeout\b|\btimeout of \d|\bETIMEDOUT\b/i

/** Whether a failure message says the test (or a hook, or a socket) ran out of time. */
export function isTimeoutMessage(message: string): boolean {
  return TIMEOUT_MESSAGE.test(message.split('\n', 1)[0]!)
}
const HOUR = 3_600_000
const DAY = 24 * HOUR
const HOUR_WIDTHS = [1, 2, 3, 4, 6, 8]

/** The band of UTC hours where failures gather most, by Fisher's exact test. */
export function measureHours(h: PackedHistories, from: number, n: number, m: HistoryMeasures): void {
  const runs = new Int32Array(24)
  const fails = new Int32Array(24)
  for (let i = 0; i < n; i++) {
    const t = h.startedAt[from + i]!
    if (!Number.isFinite(t)) continue
    const hour = Math.floor((((t % DAY) + DAY) % DAY) / HOUR)
    runs[hour]!++
    fails[hour]! += h.failed[from + i]!
  }
  let total = 0
  let failures = 0
  for (let hour = 0; hour < 24; hour++) {
    total += runs[hour]!
    failures += fails[hour]!
  }
  if (failures < 3) return
  // For each width, the window with the largest excess of failures over what the overall rate
  // predicts (in standard deviations) gets the exact test: a handful of hypergeometric tails.
  let best = 0
  const rate = failures / total
  for (const width of HOUR_WIDTHS) {
    let chosen = -1
    let chosenScore = 0
    let inRuns = 0
    let inFails = 0
    for (let j = 0; j < width; j++) {
      inRuns += runs[j]!
      inFails += fails[j]!
    }
    for (let start = 0; start < 24; start++) {
      if (start > 0) {
        inRuns += runs[(start + width - 1) % 24]! - runs[start - 1]!
        inFails += fails[(start + width - 1) % 24]! - fails[start - 1]!
      }
      if (inRuns === 0 || inRuns === total) continue
      const score = (inFails - rate * inRuns) / Math.sqrt(rate * (1 - rate) * inRuns + 1e-9)
      if (score > chosenScore) {
        chosenScore = score
        chosen = start
      }
    }
    if (chosen < 0) continue
    inRuns = 0
    inFails = 0
    for (let j = 0; j < width; j++) {
      inRuns += runs[(chosen + j) % 24]!
      inFails += fails[(chosen + j) % 24]!
    }
    const log10p = hypergeometricUpperLog10(total, failures, inRuns, inFails)
    if (log10p < best) {
      best = log10p
      m.hourFrom = chosen
      m.hourWidth = width
      m.hourFailures = inFails
      m.hourRuns = inRuns
    }
  }
  m.hourLog10P = Number.isNaN(m.hourFrom) ? 0 : Math.min(0, best + Math.log10(24 * HOUR_WIDTHS.length))
}

/** FNV-1a hashes of a message's tokens: words lower-cased; anything holding a digit becomes one "number" token. */
export function tokenise(message: string, out: Int32Array): number {
  let count = 0
  const re = /[A-Za-z0-9_$]+|[^\sA-Za-z0-9_$]/g
  let match: RegExpExecArray | null
  while (count < out.length && (match = re.exec(message)) !== null) {
    const token = /\d/.test(match[0]) ? '#' : match[0].toLowerCase()
    let hash = 0x811c9dc5
    for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193)
    out[count++] = hash | 0
  }
  return count
}

/** Mean normalised edit distance between the newest failure messages' token sequences. */
export function measureMessages(kernels: Kernels, h: PackedHistories, k: number, messageBase: number, m: HistoryMeasures): void {
  const picked: string[] = []
  for (let i = h.messageOffsets[k]! - messageBase; i < h.messageOffsets[k + 1]! - messageBase && picked.length < MESSAGES; i++) {
    const message = h.messages[i]
    if (typeof message === 'string' && message.length > 0) picked.push(message)
  }
  for (const message of picked) if (isTimeoutMessage(message)) m.timeoutMessages++
  m.messages = picked.length
  if (picked.length < 2) return
  const tokens = new Int32Array(MESSAGE_TOKENS)
  const pointers: number[] = []
  const lengths: number[] = []
  for (const message of picked) {
    const length = tokenise(message, tokens)
    const ptr = kernels.reserve(Math.max(1, length) * 4)
    kernels.i32(ptr, length).set(tokens.subarray(0, length))
    pointers.push(ptr)
    lengths.push(length)
  }
  const scratch = kernels.reserve((MESSAGE_TOKENS + 1) * 8)
  let sum = 0
  let pairs = 0
  for (let a = 0; a < picked.length; a++) {
    for (let b = a + 1; b < picked.length; b++) {
      const longest = Math.max(lengths[a]!, lengths[b]!)
      const d = longest === 0 ? 0 : kernels.exports.editDistance(pointers[a]!, lengths[a]!, pointers[b]!, lengths[b]!, scratch) / longest
      sum += d
      pairs++
    }
  }
  m.messageDiversity = sum / pairs
}

/** Instability of the durations (attractor class, exponent) and closeness to the timeout. */
export function measureDurations(kernels: Kernels, h: PackedHistories, from: number, n: number, m: HistoryMeasures): void {
  let nearWeight = 0
  let timedWeight = 0
  for (let i = 0; i < n; i++) {
    const timeout = h.timeouts[from + i]!
    if (!(timeout > 0)) continue
    const ratio = h.durations[from + i]! / timeout
    const w = weight(n - 1 - i, OUTCOME_HALF_LIFE)
    m.timedRuns++
    timedWeight += w
    if (ratio >= NEAR_TIMEOUT) {
      m.nearTimeoutRuns++
      nearWeight += w
    }
    if (ratio > m.maxTimeoutRatio) m.maxTimeoutRatio = ratio
  }
  m.nearTimeoutShare = timedWeight > 0 ? nearWeight / timedWeight : 0
  const count = Math.min(n, DURATION_TAIL)
  if (count < 16) return
  const ptr = kernels.reserve(count * 8)
  kernels.f64(ptr, count).set(h.durations.subarray(from + n - count, from + n))
  const { mean, variance } = _momentsAt(kernels, ptr, count)
  m.durationCv = mean > 0 ? Math.sqrt(variance) / mean : 0
  const report = _classifyAt(kernels, ptr, count, {})
  m.durationKind = ATTRACTOR_KINDS.indexOf(report.kind)
  m.exponent = report.exponent
  m.determinism = report.determinism
}

/**
 * Order dependence: files that ran before the test in every failing run, scored by how much
 * more often they ran before it in failing runs than in passing ones (Fisher's exact test).
 * Runs whose order is unknown are left out.
 */
export function measureOrder(h: PackedHistories, k: number, from: number, n: number, m: HistoryMeasures, scratch: HistoryScratch): void {
  const gen = ++scratch.generation
  const { stamp, count } = scratch
  const known = (i: number): boolean => h.orderKnown[from + i] === 1
  let runs = 0
  let failures = 0
  let lastFailing = -1
  for (let i = 0; i < n; i++) {
    if (!known(i)) continue
    runs++
    if (!h.failed[from + i]) continue
    failures++
    lastFailing = i
    for (let p = h.beforeOffsets[from + i]!; p < h.beforeOffsets[from + i + 1]!; p++) {
      const file = h.before[p]!
      if (stamp[file] !== gen) {
        stamp[file] = gen
        count[file] = 0
      }
      count[file]!++
    }
  }
  if (failures < ORDER_MIN_FAILURES) return
  const candidates: number[] = []
  for (let p = h.beforeOffsets[from + lastFailing]!; p < h.beforeOffsets[from + lastFailing + 1]!; p++) {
    const file = h.before[p]!
    if (count[file] === failures) {
      count[file] = -(candidates.length + 1)
      candidates.push(file)
    }
  }
  if (candidates.length === 0) return
  const withPassed = new Int32Array(candidates.length)
  for (let i = 0; i < n; i++) {
    if (h.failed[from + i] || !known(i)) continue
    for (let p = h.beforeOffsets[from + i]!; p < h.beforeOffsets[from + i + 1]!; p++) {
      const file = h.before[p]!
      if (stamp[file] === gen && count[file]! < 0) withPassed[-count[file]! - 1]!++
    }
  }
  const passes = runs - failures
  let best = 0
  for (let c = 0; c < candidates.length; c++) {
    const withP = withPassed[c]!
    if (passes - withP < 2) continue
    const log10p = hypergeometricUpperLog10(runs, failures + withP, failures, failures)
    if (log10p < best || (log10p === best && m.orderFile >= 0 && candidates[c]! < m.orderFile)) {
      best = log10p
      m.orderFile = candidates[c]!
      m.orderWith = failures + withP
      m.orderWithFailed = failures
      m.orderWithout = passes - withP
      m.orderWithoutFailed = 0
    }
  }
  // Every file that could have been a candidate was a hypothesis, not only those that survived.
  const tested = Math.max(candidates.length, h.orderFiles[k] ?? 0)
  m.orderLog10P = m.orderFile < 0 ? 0 : Math.min(0, best + Math.log10(tested))
}

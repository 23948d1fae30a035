// The analysis engine's data: what it reads per test (observations), what it returns (verdicts,
// clusters) and the meta-learner's state the store keeps between runs. Changes here are additive.

/**
 * What flakeline concludes about one test:
 * - `stable`: passes, or its few failures look like nothing in particular;
 * - `flaky`: fails and passes without a change that explains it (confidence from the calibrated model);
 * - `failing`: a real, consistent failure — a regression or a broken test;
 * - `recovered`: was `failing` and passes again since a recent run;
 * - `new`: too little history to say.
 */
export type VerdictKind = 'stable' | 'flaky' | 'failing' | 'recovered' | 'new'

/** One run of one test, as the store knows it (oldest first; only runs where the test ran: passed or failed). */
export interface TestObservation {
  /** Run sequence number. */
  seq: number
  /** Final status. */
  status: 'passed' | 'failed'
  /** 1 = no retry; passed with attempts > 1 = passed on retry. */
  attempts: number
  durationMs: number
  /** Epoch ms when the run started (time-of-day signal). */
  startedAt: number
  /** Commit SHA when the tree was clean, else null (a dirty or unknown tree proves nothing). */
  codeState: string | null
  /** Failure message of the final attempt (or of the first failed attempt when it passed on retry), trimmed. */
  message: string | null
  /** The test's timeout when the runner gives it. */
  timeoutMs: number | null
  /** File ids that started before this test's file in that run (order dependence); may be empty. */
  before: readonly string[]
  /** The test's file or a source linked to it changed since the previous run. */
  changed: boolean
}

/** One test and its history. */
export interface TestCase {
  fileId: string
  name: string
  /** Oldest first. */
  observations: TestObservation[]
}

/**
 * The signals behind a verdict. `README.md`, "Flaky verdicts", says what each measures and why it
 * points at flakiness; `src/verdicts/signals.ts` computes them.
 * - `passedOnRetry` (definitive): runs where the test failed, was retried and passed.
 * - `mixedOnSameCode` (definitive): clean code states on which the test both passed and failed.
 * - `flipRate`: recency-weighted share of consecutive runs whose outcome differs.
 * - `entropy`: recency-weighted binary entropy of the outcomes.
 * - `stepChange`: the recent failures form one new block (DTW distance of the recent outcome
 *   window to every earlier window): a regression, not flakiness; its weight is negative.
 * - `period`: the failures repeat every N runs (`dominantPeriod` of the outcome series).
 * - `timeOfDay`: the failures gather at some hours of the day (UTC).
 * - `failureProbability`: Beta posterior of the recent failure rate: probability it is intermittent.
 * - `messageDiversity`: failure messages differ (edit distance over tokenised messages).
 * - `durationInstability`: the duration series is erratic (Lyapunov exponent, attractor class).
 * - `nearTimeout`: durations close to the test's timeout, or timeout-like failure messages.
 * - `orderDependence`: fails only when certain files ran before it.
 * - `cluster`: fails in the same runs as other tests, some of them definitively flaky.
 * - `unchangedFailure`: outcome changes on runs where neither the test nor its linked sources changed.
 */
export type SignalName =
  | 'passedOnRetry'
  | 'mixedOnSameCode'
  | 'flipRate'
  | 'entropy'
  | 'stepChange'
  | 'period'
  | 'timeOfDay'
  | 'failureProbability'
  | 'messageDiversity'
  | 'durationInstability'
  | 'nearTimeout'
  | 'orderDependence'
  | 'cluster'
  | 'unchangedFailure'

/** One signal's reading for one test. */
export interface Evidence {
  signal: SignalName
  /** The signal's feature value in [-1, 1] (what the model weighs; below 0 it points away from flaky). */
  value: number
  /** What was measured, in words (a period names its length, order dependence names the files, ...). */
  detail: string
  /** What the signal added to the log-odds of flaky (weight × value); negative pulls towards not flaky. */
  contribution: number
}

/** The conclusion about one test. */
export interface Verdict {
  fileId: string
  test: string
  verdict: VerdictKind
  /** Confidence in `verdict`, in [0, 1]. */
  confidence: number
  /** The signals that fired, the strongest first. */
  evidence: Evidence[]
  /** Seq of the run since which this verdict holds. */
  since: number
  /** Expected attempts per run (for packing: duration × this). */
  expectedAttempts: number
  /** The calibrated probability that the test's failures are flaky, whatever the verdict (0 when it has not failed lately). */
  flakyProbability: number
  /** The verdict in one sentence ("failed the last 4 runs with the same message, since run 120; no flaky evidence"). */
  reason: string
}

/** Tests that fail in the same runs (a shared cause). */
export interface Cluster {
  /** Stable while the cluster's first member (by file, then name) stays in it. */
  id: string
  tests: Array<{ fileId: string; test: string }>
  /** Mean pairwise similarity of the members' failure series, in [0, 1]. */
  similarity: number
  detail: string
}

/** One decile of the calibration table: what the model predicted and how often it held up. */
export interface CalibrationBin {
  /** Sum of predicted probabilities of the examples in the bin (decayed). */
  predicted: number
  /** Sum of outcomes (1 = the failure turned out definitively flaky) of those examples (decayed). */
  observed: number
  /** Examples in the bin (decayed). */
  count: number
}

/** The Brier score of one analysis' resolved examples. */
export interface BrierPoint {
  /** Seq of the newest run in that analysis. */
  seq: number
  brier: number
  examples: number
}

/**
 * The meta-learner's state, one per project: plain JSON (numbers, strings, arrays, objects), so it
 * serialises with JSON or msgpack. `version` changes only with an incompatible layout;
 * {@link ModelState.weights} is keyed by signal so states written before a signal existed still load
 * (the missing weight starts from its prior).
 */
export interface ModelState {
  version: 1
  /** Logistic weight per signal (log-odds per unit of feature). */
  weights: Record<string, number>
  bias: number
  /** Per-weight learning rates, as natural logs (IDBD's β), keyed like `weights`, plus `bias`. */
  logSteps: Record<string, number>
  /** IDBD's memory traces (h), keyed like `logSteps`. */
  traces: Record<string, number>
  /** Verdict thresholds, learned from how past verdicts held up. */
  thresholds: {
    /** Calibrated probability from which a test is called flaky. */
    flaky: number
    /** Consecutive failures, without flaky evidence among them, from which a test is called failing. */
    failingStreak: number
  }
  /** Exponentially weighted Brier score of the model's predictions, and its history (newest last, bounded). */
  brier: { mean: number; history: BrierPoint[] }
  /** Ten bins by predicted probability: [0, 0.1), ..., [0.9, 1]. */
  calibration: CalibrationBin[]
  /** Counts behind the learned failing streak: second failures in a row the rules would have called failing, and how many turned out flaky (decayed). */
  streaks: { repeated: number; flaky: number }
  /** Resolved examples learned from. */
  examples: number
  /** Analyses that updated the model. */
  runs: number
  /** Highest run seq analysed so far: later analyses learn only from newer runs. */
  lastSeq: number
}

/** What {@link analyseTests} returns. */
export interface AnalysisResult {
  /** One per test case, in input order. */
  verdicts: Verdict[]
  clusters: Cluster[]
  /** The updated model, to store for the next analysis. */
  model: ModelState
}

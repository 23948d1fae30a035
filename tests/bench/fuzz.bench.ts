// Issue 13 (reliability): fuzzing, property-based and random bytes, of everything that reads input
// flakeline does not control: the live protocol's decoders, the NDJSON and JUnit importers, the
// config loader and the history bundle reader. Per target, FUZZ_CASES cases (100,000) from
// FUZZ_SEED: random bytes, mutations of valid inputs (bit flips, truncation, duplicated slices,
// splices, huge lengths, deep nesting, hostile strings and keys) and properties of valid inputs
// (round trips, a generated report imports the tests it has). Every case must be accepted or
// refused with a FlakelineError code; anything else, a case past 2 s, a crash or memory past its
// bound is a finding, printed with the seed and case that replay it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread } from 'node:worker_threads'
import { fuzzMain } from './_fuzz-harness.js'
import { frameTarget } from './_fuzz-frames.js'
import { ndjsonTarget } from './_fuzz-ndjson.js'
import { junitTarget } from './_fuzz-junit.js'
import { configTarget } from './_fuzz-config.js'
import { bundleTarget } from './_fuzz-bundle.js'

// Files the importers, loader and reader read from disk (one case in fifty) go here, one directory per worker.
const base = isMainThread ? mkdtempSync(join(tmpdir(), 'flakeline-fuzz-')) : process.env.FLAKELINE_FUZZ_SCRATCH!
process.env.FLAKELINE_FUZZ_SCRATCH = base
const scratch = (): string => mkdtempSync(join(base, 'w-'))

try {
  await fuzzMain(new URL(import.meta.url), [frameTarget, ndjsonTarget(scratch), junitTarget(scratch), configTarget(scratch), bundleTarget(scratch)], {
    seed: 20_260_513,
    cases: 100_000,
    slowMs: 2_000,
    hangMs: 20_000,
    heapLimitMb: 512,
    rssLimitMb: 1_024,
    leakLimitMb: 64,
  })
} finally {
  if (isMainThread) rmSync(base, { recursive: true, force: true })
}

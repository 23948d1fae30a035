import { describe, expect, test } from 'vitest'
import { suiteModel } from '../../../src/scheduling/failure-model.js'
import { planFiles } from '../../../src/scheduling/plan-files.js'
import type { FileVerdictSummary, PlanFile } from '../../../src/scheduling/plan-types.js'
import { FAIL, PASS, evidenceOf, passes, planFile } from './_planner.js'

const FLAKY: FileVerdictSummary = { kind: 'flaky', confidence: 0.9, expectedAttempts: 1.5 }

function settings(files: PlanFile[], workers: number, flakyPlacement?: 'last' | 'first' | 'default') {
  return { policy: 'auto' as const, workers, seed: 1, suite: suiteModel(files.map((file) => file.evidence)), ...(flakyPlacement ? { flakyPlacement } : {}) }
}

describe('files with a flaky verdict', () => {
  test('their failures are no evidence of a real failure: the broken file runs first, the flaky one last (default placement)', () => {
    const files = [
      planFile('flaky.test.ts', evidenceOf(PASS(100), FAIL(100), PASS(100), FAIL(100)), { verdict: FLAKY }),
      planFile('broken.test.ts', evidenceOf(FAIL(100), FAIL(100), FAIL(100), FAIL(100)), { verdict: { kind: 'failing', confidence: 0.9, expectedAttempts: 1 } }),
      planFile('steady.test.ts', evidenceOf(...passes(4, 100))),
    ]
    const plan = planFiles(files, settings(files, 1))
    expect(plan.order.map((file) => file.fileId)).toEqual(['broken.test.ts', 'steady.test.ts', 'flaky.test.ts'])
    expect(plan.order[2]!.reason).toContain('known flaky (90%): its failures do not count as evidence, run after the others of its class (flakyPlacement: last)')
    expect(planFiles(files, settings(files, 1, 'first')).order.map((file) => file.fileId)[0]).toBe('flaky.test.ts')
  })

  test('are paid once per expected attempt, and a long one is not moved to the end on several workers (it would lengthen the run)', () => {
    const long = planFile('long-flaky.test.ts', evidenceOf(...passes(3, 10_000)), { verdict: FLAKY })
    const short = Array.from({ length: 12 }, (_, i) => planFile(`short-${i}.test.ts`, evidenceOf(...passes(3, 500))))
    const files = [long, ...short]
    const plan = planFiles(files, settings(files, 2))
    expect(plan.order[0]!.fileId).toBe('long-flaky.test.ts')
    // 10 s × 1.5 attempts on one worker, the 6 s of short files on the other.
    expect(plan.predictedMakespanMs).toBe(15_000)
  })
})

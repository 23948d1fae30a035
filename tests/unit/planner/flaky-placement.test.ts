import { describe, expect, test } from 'vitest'
import { suiteModel } from '../../../src/scheduling/failure-model.js'
import { planFiles } from '../../../src/scheduling/plan-files.js'
import { PlanIndex, packPlanIndex } from '../../../src/store/plan-index.js'
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

  test('with the evidence as the store packs it (what the sequencers read), the flaky file is judged on a clean record and the order does not depend on the order files come in', () => {
    const evidence = new Map([
      ['a-flaky.test.ts', evidenceOf(PASS(40), FAIL(40), PASS(40))],
      ['b-short.test.ts', evidenceOf(PASS(50))],
      ['c-long.test.ts', evidenceOf(PASS(600))],
      ['d-longer.test.ts', evidenceOf(PASS(680))],
      ['e-shortest.test.ts', evidenceOf(PASS(30))],
    ])
    const index = new PlanIndex(packPlanIndex(evidence))
    const fileOf = (id: string) => planFile(id, index.get(id)!, id === 'a-flaky.test.ts' ? { verdict: FLAKY } : {})
    const ids = [...evidence.keys()]
    const plan = (order: string[]) => {
      const files = order.map(fileOf)
      return planFiles(files, { policy: 'auto', workers: 1, seed: 1, suite: index.suite })
    }
    const forward = plan(ids)
    // Packed evidence reads through getters: a spread of it once lost every field and made the flaky
    // file's probability NaN, and a sort by NaN keys depends on the input order.
    for (const file of forward.order) expect(Number.isFinite(file.failureProbability), file.fileId).toBe(true)
    expect(forward.order.map((file) => file.fileId)).toEqual(['e-shortest.test.ts', 'b-short.test.ts', 'c-long.test.ts', 'd-longer.test.ts', 'a-flaky.test.ts'])
    for (const order of [ids.slice().reverse(), [ids[2]!, ids[0]!, ids[4]!, ids[1]!, ids[3]!]]) {
      expect(plan(order).order.map((file) => file.fileId)).toEqual(forward.order.map((file) => file.fileId))
    }
  })
})

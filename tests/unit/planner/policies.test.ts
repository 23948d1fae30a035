import { describe, expect, test } from 'vitest'
import { suiteModel } from '../../../src/scheduling/failure-model.js'
import { planFiles, type PlanSettings } from '../../../src/scheduling/plan-files.js'
import type { PlanFile, PolicyName } from '../../../src/scheduling/plan-types.js'
import { seededRandom } from '../../../src/scheduling/policies/shuffle.js'
import { FAIL, PASS, evidenceOf, passes, planFile, withDeadline, withPriority } from './_planner.js'

function settings(files: readonly PlanFile[], policy: PolicyName, workers = 1, seed = 7): PlanSettings {
  return { policy, workers, seed, suite: suiteModel(files.map((file) => file.evidence)) }
}

function order(files: readonly PlanFile[], policy: PolicyName, workers = 1, seed = 7): string[] {
  return planFiles(files, settings(files, policy, workers, seed)).order.map((file) => file.fileId)
}

// A small suite: a slow steady file, a quick one, one that just failed, a flaky one, one never run.
const SUITE: PlanFile[] = [
  planFile('slow', evidenceOf(...passes(10, 4_000))),
  planFile('quick', evidenceOf(...passes(10, 50))),
  planFile('broke', evidenceOf(...passes(9, 600), FAIL(600))),
  planFile('flaky', evidenceOf(PASS(300), FAIL(300), PASS(300), FAIL(300), PASS(300), PASS(300))),
  planFile('new'),
]

describe('every policy places every file exactly once, whatever the input order', () => {
  test.each(['auto', 'edf', 'llf', 'priority', 'wspt', 'lpt', 'shuffle', 'recent', 'default'] as const)('%s', (policy) => {
    const forward = order(SUITE, policy, 2)
    expect(forward.slice().sort()).toEqual(['broke', 'flaky', 'new', 'quick', 'slow'])
    if (policy !== 'recent') expect(order(SUITE.slice().reverse(), policy, 2)).toEqual(forward)
  })
})

describe('wspt: failure probability per predicted ms, highest first (Smith\'s rule)', () => {
  test('the flaky file (two recent failures, 300 ms), the one that just failed (600 ms), the new one, the quick one; the slow one last', () => {
    // Scores: flaky (.64 + .41) / 3.69 = .28 over 300 ms; broke 1 / 4.46 = .22 over 600 ms; new 4 × 4.1% over the 450 ms median.
    expect(order(SUITE, 'wspt')).toEqual(['flaky', 'broke', 'new', 'quick', 'slow'])
  })

  test('a likely failure that takes long waits behind a less likely one that is quick, when p/d says so', () => {
    const files = [planFile('long-risky', evidenceOf(...passes(3, 10_000), FAIL(10_000))), planFile('short-safe', evidenceOf(...passes(4, 10)))]
    const plan = planFiles(files, settings(files, 'wspt'))
    const [a, b] = plan.order
    expect(a!.failureProbability! / 10_000).toBeLessThan(b!.failureProbability! / 10)
    expect(plan.order.map((file) => file.fileId)).toEqual(['short-safe', 'long-risky'])
    expect(a!.reason).toMatch(/^fail-fast: passed its last 4 runs: p\(fail\) .* over 10 ms$/)
  })
})

describe('recent: decayed failure score, ties in the runner\'s order', () => {
  test('recent failures first; files without failures keep their input order', () => {
    expect(order(SUITE, 'recent')).toEqual(['flaky', 'broke', 'slow', 'quick', 'new'])
    expect(order(SUITE.slice().reverse(), 'recent')).toEqual(['flaky', 'broke', 'new', 'quick', 'slow'])
  })
})

describe('lpt: longest first, files never timed as the suite median', () => {
  test('by predicted duration', () => {
    // Median of 4000, 50, 600, 300 is 450: the new file sits between broke (600) and flaky (300).
    expect(order(SUITE, 'lpt')).toEqual(['slow', 'broke', 'new', 'flaky', 'quick'])
  })
})

describe('default: the runners\' own rule (failed last time, never seen, longest)', () => {
  test('as Jest and Vitest order them', () => {
    expect(order(SUITE, 'default')).toEqual(['broke', 'new', 'slow', 'flaky', 'quick'])
    expect(planFiles(SUITE, settings(SUITE, 'default')).order[0]!.reason).toBe('runner default: failed in its last run, predicted 600 ms (median of last 5)')
  })
})

describe('shuffle: seeded, repeatable, reported', () => {
  test('the same seed gives the same order from any input order; another seed another order', () => {
    const a = order(SUITE, 'shuffle', 1, 42)
    expect(order(SUITE.slice().reverse(), 'shuffle', 1, 42)).toEqual(a)
    const others = [1, 2, 3, 4, 5].map((seed) => order(SUITE, 'shuffle', 1, seed).join())
    expect(others.some((other) => other !== a.join())).toBe(true)
    const plan = planFiles(SUITE, settings(SUITE, 'shuffle', 1, 42))
    expect(plan.seed).toBe(42)
    expect(plan.order[0]!.reason).toBe('shuffled with seed 42')
    expect(planFiles(SUITE, settings(SUITE, 'auto', 1, 42)).seed).toBeNull()
  })

  test('mulberry32 is uniform enough for a shuffle: each of 4 slots gets each file about equally often', () => {
    const counts = Array.from({ length: 4 }, () => [0, 0, 0, 0])
    const files = ['a', 'b', 'c', 'd'].map((id) => planFile(id))
    for (let seed = 0; seed < 4_000; seed++) order(files, 'shuffle', 1, seed).forEach((id, slot) => counts[slot]![id.charCodeAt(0) - 97]!++)
    for (const slot of counts) for (const count of slot) expect(count).toBeGreaterThan(850)
    const random = seededRandom(1)
    expect(random()).not.toBe(random())
  })
})

describe('deadlines and priorities', () => {
  const files = [
    planFile('late-deadline', evidenceOf(...passes(5, 1_000)), withDeadline(60_000)),
    planFile('tight-deadline', evidenceOf(...passes(5, 1_000)), withDeadline(5_000, 'deadlines["smoke/**"]')),
    planFile('long-deadline-long-file', evidenceOf(...passes(5, 9_000)), withDeadline(10_000)),
    planFile('critical', evidenceOf(...passes(5, 100)), withPriority('critical')),
    planFile('low', evidenceOf(...passes(5, 100), FAIL(100)), withPriority('low', 'priorities["legacy/**"]')),
    planFile('plain', evidenceOf(...passes(5, 2_000))),
  ]

  test('edf: earliest deadline first, the rest by class, then in the runner default order', () => {
    expect(order(files, 'edf')).toEqual(['tight-deadline', 'long-deadline-long-file', 'late-deadline', 'critical', 'plain', 'low'])
    expect(planFiles(files, settings(files, 'edf')).order[0]!.reason).toBe('deadline 5.0 s (deadlines["smoke/**"]): earliest deadline first')
  })

  test('llf: least laxity first — the long file with a later deadline has less room than the short one', () => {
    const planned = order(files, 'llf')
    expect(planned.slice(0, 2)).toEqual(['long-deadline-long-file', 'tight-deadline'])
  })

  test('priority: class first, then deadline-monotonic, then the runner default', () => {
    expect(order(files, 'priority')).toEqual(['critical', 'tight-deadline', 'long-deadline-long-file', 'late-deadline', 'plain', 'low'])
  })

  test('auto: critical first, then deadlines (EDF), then fail-fast; low last even though it just failed', () => {
    const plan = planFiles(files, settings(files, 'auto', 1))
    expect(plan.order.map((file) => file.fileId)).toEqual(['critical', 'tight-deadline', 'long-deadline-long-file', 'late-deadline', 'plain', 'low'])
    expect(plan.order[0]!.reason).toMatch(/^critical \(pragma\); fail-fast: /)
    expect(plan.order[5]!.reason).toMatch(/^low \(priorities\["legacy\/\*\*"\]\); fail-fast: failed in its last run/)
  })

  test('predicted misses: on one worker the 9 s file cannot finish by 10 s after two files of 0.1 and 1 s', () => {
    const plan = planFiles(files, settings(files, 'auto', 1))
    expect(plan.misses).toEqual([{ fileId: 'long-deadline-long-file', deadlineMs: 10_000, finishMs: 100 + 1_000 + 9_000 }])
    expect(planFiles(files, settings(files, 'auto', 3)).misses).toEqual([])
  })
})

describe('auto: packing the tail on several workers', () => {
  // One 10 s file and twenty 1 s files on 3 workers: fail-fast alone starts the long file last.
  const files = [planFile('long', evidenceOf(...passes(8, 10_000))), ...Array.from({ length: 20 }, (_, i) => planFile(`short-${String(i).padStart(2, '0')}`, evidenceOf(...passes(8, 1_000))))]

  test('wspt runs the long file last and ends late; auto, with nothing likely to fail, runs longest first and ends with LPT', () => {
    const wspt = planFiles(files, settings(files, 'wspt', 3))
    const auto = planFiles(files, settings(files, 'auto', 3))
    const lpt = planFiles(files, settings(files, 'lpt', 3))
    expect(wspt.order.at(-1)!.fileId).toBe('long')
    expect(wspt.predictedMakespanMs).toBe(16_000)
    expect(lpt.predictedMakespanMs).toBe(10_000)
    expect(auto.predictedMakespanMs).toBe(lpt.predictedMakespanMs)
    const long = auto.order.find((file) => file.fileId === 'long')!
    expect(long.reason).toBe('long (10.0 s, 100% of the run): longest first so workers finish together (LPT); passed its last 8 runs: p(fail) 0.2%')
  })

  test('on one worker nothing is packed: auto is fail-fast', () => {
    expect(order(files, 'auto', 1)).toEqual(order(files, 'wspt', 1))
  })

  test('with classes mixed in, each class runs in turn and every packed file is the longest left in its class', () => {
    const random = seededRandom(11)
    const classes = ['critical', 'high', 'normal', 'low'] as const
    let packed = 0
    for (let round = 0; round < 20; round++) {
      const mixed = Array.from({ length: 60 }, (_, i) => {
        const ms = random() < 0.1 ? 5_000 + Math.floor(random() * 20_000) : 10 + Math.floor(random() * 2_000)
        const runs = random() < 0.2 ? [...passes(5, ms), FAIL(ms)] : passes(6, ms)
        return planFile(`f-${String(i).padStart(2, '0')}`, evidenceOf(...runs), random() < 0.5 ? withPriority(classes[Math.floor(random() * 4)]!) : {})
      })
      const workers = 2 + (round % 3)
      const plan = planFiles(mixed, settings(mixed, 'auto', workers))
      const byId = new Map(mixed.map((file) => [file.fileId, file]))
      const rank = (id: string): number => classes.indexOf(byId.get(id)!.priority)
      const ranks = plan.order.map((file) => rank(file.fileId))
      expect(ranks).toEqual(ranks.slice().sort((a, b) => a - b))
      const left = new Set(mixed.map((file) => file.fileId))
      for (const file of plan.order) {
        if (file.reason.includes('longest first so workers finish together')) {
          packed++
          const longestLeft = Math.max(...[...left].filter((id) => rank(id) === rank(file.fileId)).map((id) => byId.get(id)!.evidence.predictedMs!))
          expect(file.predictedMs).toBe(longestLeft)
        }
        left.delete(file.fileId)
      }
    }
    expect(packed).toBeGreaterThan(5)
  })
})

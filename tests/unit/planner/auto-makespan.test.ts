import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { suiteModel } from '../../../src/scheduling/failure-model.js'
import { planFiles, type PlanSettings } from '../../../src/scheduling/plan-files.js'
import type { Plan, PlanFile, PolicyName } from '../../../src/scheduling/plan-types.js'
import { seededRandom } from '../../../src/scheduling/policies/shuffle.js'
import { FAIL, PASS, evidenceOf, passes, planFile, withDeadline, withPriority } from './_planner.js'

function plan(files: readonly PlanFile[], policy: PolicyName, workers: number): Plan {
  const settings: PlanSettings = { policy, workers, seed: 1, suite: suiteModel(files.map((file) => file.evidence)) }
  return planFiles(files, settings)
}

/**
 * The model's expected time until the first failure shows on the planned workers: files in the order
 * they finish, each failing independently with its probability, given that some file fails.
 */
function expectedFirstFailureMs(planned: Plan): number {
  const byFinish = planned.order.slice().sort((a, b) => a.finishMs! - b.finishMs!)
  let noneYet = 1
  let sum = 0
  for (const file of byFinish) {
    sum += file.finishMs! * file.failureProbability! * noneYet
    noneYet *= 1 - file.failureProbability!
  }
  return sum / (1 - noneYet)
}

/**
 * A suite like the 110-file Jest 30 project of issue 11: 109 files of 40 ms to 4 s (log-normal, median
 * about 0.6 s, 119.8 s in all) and one of 25.4 s, each with 20 passing runs, so every file sits at the
 * suite prior's floor (p(fail) well under 0.1%).
 */
function realSuite(extra: (id: string, ms: number, i: number) => Partial<PlanFile> | null = () => null): PlanFile[] {
  const random = seededRandom(110)
  const raw = Array.from({ length: 109 }, () => Math.exp(Math.log(600) + 1.1 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())))
  const clipped = raw.map((ms) => Math.min(4_000, Math.max(40, ms)))
  const scale = 119_800 / clipped.reduce((a, b) => a + b, 0)
  const durations = [...clipped.map((ms) => Math.round(ms * scale)), 25_400]
  return durations.map((ms, i) => {
    const id = i === 109 ? 'tests/big-integration.test.ts' : `tests/unit-${String(i).padStart(3, '0')}.test.ts`
    const custom = extra(id, ms, i)
    return planFile(id, evidenceOf(...passes(20, ms)), custom ?? {})
  })
}

describe('auto on several workers with nothing likely to fail: as short as longest-first (issue 11)', () => {
  const files = realSuite()

  test('2 workers: LPT\'s order and makespan, the 25.4 s file starts first; wspt starts it last', () => {
    const auto = plan(files, 'auto', 2)
    const lpt = plan(files, 'lpt', 2)
    const wspt = plan(files, 'wspt', 2)
    expect(auto.predictedMakespanMs).toBe(lpt.predictedMakespanMs)
    expect(auto.order.map((file) => file.fileId)).toEqual(lpt.order.map((file) => file.fileId))
    const position = auto.order.findIndex((file) => file.fileId === 'tests/big-integration.test.ts')
    expect(position).toBeLessThan(3)
    expect(auto.order[position]!.startMs).toBe(0)
    // What the issue saw: fail-fast alone plans the long file last and lengthens the run.
    expect(wspt.order.at(-1)!.fileId).toBe('tests/big-integration.test.ts')
    expect(wspt.predictedMakespanMs).toBeGreaterThan(lpt.predictedMakespanMs * 1.03)
    expect(auto.order.every((file) => file.failureProbability! < 0.001)).toBe(true)
  })

  test.each([3, 4, 8])('%i workers: within 3% of LPT', (workers) => {
    expect(plan(files, 'auto', workers).predictedMakespanMs).toBeLessThanOrEqual(plan(files, 'lpt', workers).predictedMakespanMs * 1.03)
  })

  test('1 worker: the order cannot change the end, so auto is pure fail-fast', () => {
    expect(plan(files, 'auto', 1).order.map((file) => file.fileId)).toEqual(plan(files, 'wspt', 1).order.map((file) => file.fileId))
  })
})

describe('auto on several workers with a few likely failures', () => {
  // Three files with evidence: one failed in its last run, one is new, one changed since the last run.
  const likely = new Map<string, Partial<PlanFile>>([
    ['tests/unit-010.test.ts', {}],
    ['tests/unit-050.test.ts', { change: 'changed' }],
  ])
  const files = [
    ...realSuite((id) => likely.get(id) ?? null).map((file) =>
      file.fileId === 'tests/unit-010.test.ts' ? { ...file, evidence: evidenceOf(...passes(19, file.evidence.predictedMs!), FAIL(file.evidence.predictedMs!)) } : file,
    ),
    planFile('tests/new-feature.test.ts'),
  ]
  const ids = ['tests/unit-010.test.ts', 'tests/unit-050.test.ts', 'tests/new-feature.test.ts']

  test.each([2, 4])('%i workers: the likely files first; first failure sooner than the runners\' default; within 5% of LPT', (workers) => {
    const auto = plan(files, 'auto', workers)
    const lpt = plan(files, 'lpt', workers)
    const runnerDefault = plan(files, 'default', workers)
    expect(auto.order.slice(0, 3).map((file) => file.fileId).sort()).toEqual(ids.slice().sort())
    expect(auto.predictedMakespanMs).toBeLessThanOrEqual(lpt.predictedMakespanMs * 1.05)
    expect(expectedFirstFailureMs(auto)).toBeLessThan(expectedFirstFailureMs(runnerDefault))
    expect(expectedFirstFailureMs(auto)).toBeLessThan(expectedFirstFailureMs(lpt))
    // The long file still starts in the first wave, right behind them.
    expect(auto.order.findIndex((file) => file.fileId === 'tests/big-integration.test.ts')).toBe(3)
  })
})

/** One file of a random suite: its duration, how many runs it has, which of them failed, a change. */
interface FileSpec {
  ms: number
  runs: number
  failures: number[]
  change: PlanFile['change']
}

const fileArbitrary: fc.Arbitrary<FileSpec> = fc.record({
  ms: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 2_000, max: 60_000 })),
  runs: fc.integer({ min: 0, max: 12 }),
  failures: fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 3 }),
  change: fc.constantFrom(null, null, null, 'changed' as const, 'related' as const),
})

function randomSuite(specs: readonly FileSpec[], floor: boolean): PlanFile[] {
  return specs.map((spec, i) => {
    const runs = Array.from({ length: floor ? Math.max(1, spec.runs) : spec.runs }, (_, r) => (!floor && spec.failures.includes(r) ? FAIL(spec.ms) : PASS(spec.ms)))
    return planFile(`f${String(i).padStart(3, '0')}`, evidenceOf(...runs), { change: floor ? null : spec.change })
  })
}

test('evidence the store reads through getters (its plan index) is judged the same as plain evidence', () => {
  const files = realSuite((id) => (id === 'tests/unit-050.test.ts' ? { change: 'changed' } : null))
  const throughGetters = files.map((file) => {
    const plain = file.evidence
    const evidence = Object.create({}, Object.fromEntries(Object.keys(plain).map((key) => [key, { get: () => plain[key as keyof typeof plain], enumerable: false }])))
    return { ...file, evidence }
  })
  const ids = (suite: PlanFile[]) => plan(suite, 'auto', 2).order.map((file) => [file.fileId, file.reason])
  expect(ids(throughGetters)).toEqual(ids(files))
  expect(plan(files, 'auto', 2).order[0]!.fileId).toBe('tests/unit-050.test.ts')
})

describe('property: auto never lengthens the run for unlikely failures', () => {
  test('random suites on 2–8 workers: within 5% of LPT; within 3% when no file was run early for its risk', () => {
    fc.assert(
      fc.property(fc.array(fileArbitrary, { minLength: 1, maxLength: 70 }), fc.integer({ min: 2, max: 8 }), (specs, workers) => {
        const files = randomSuite(specs, false)
        const auto = plan(files, 'auto', workers)
        const lpt = plan(files, 'lpt', workers).predictedMakespanMs
        expect(auto.predictedMakespanMs).toBeLessThanOrEqual(lpt * 1.05)
        if (!auto.order.some((file) => file.reason.endsWith('run early'))) expect(auto.predictedMakespanMs).toBeLessThanOrEqual(lpt * 1.03)
      }),
      { numRuns: 300 },
    )
  })

  test('random suites where every file has only passed: LPT\'s makespan, nothing run early', () => {
    fc.assert(
      fc.property(fc.array(fileArbitrary, { minLength: 1, maxLength: 70 }), fc.integer({ min: 2, max: 8 }), (specs, workers) => {
        const auto = plan(randomSuite(specs, true), 'auto', workers)
        expect(auto.predictedMakespanMs).toBe(plan(randomSuite(specs, true), 'lpt', workers).predictedMakespanMs)
        expect(auto.order.some((file) => file.reason.endsWith('run early'))).toBe(false)
      }),
      { numRuns: 300 },
    )
  })
})

describe('auto\'s reasons say what the plan did to each file', () => {
  test('run early, long files longest first (LPT), packed after them; deadlines and classes as before', () => {
    const files = [
      planFile('broke', evidenceOf(...passes(9, 600), FAIL(600))),
      planFile('long', evidenceOf(...passes(10, 20_000))),
      planFile('short', evidenceOf(...passes(10, 300))),
      planFile('smoke', evidenceOf(...passes(10, 200)), { ...withPriority('critical'), ...withDeadline(5_000) }),
      ...Array.from({ length: 30 }, (_, i) => planFile(`filler-${String(i).padStart(2, '0')}`, evidenceOf(...passes(10, 1_000)))),
    ]
    const reasons = new Map(plan(files, 'auto', 2).order.map((file) => [file.fileId, file.reason]))
    expect(reasons.get('smoke')).toBe('critical (pragma); deadline 5.0 s (pragma): earliest deadline first')
    expect(reasons.get('broke')).toMatch(/^fail-fast: failed in its last run: p\(fail\) \d+% over 600 ms: likely to fail, run early$/)
    expect(reasons.get('long')).toMatch(/^long \(20\.0 s, \d+% of the run\): longest first so workers finish together \(LPT\); passed its last 10 runs: p\(fail\) (<0\.1|0\.\d)%$/)
    expect(reasons.get('short')).toMatch(/^short \(300 ms\): packed after the long files, longest first \(LPT\); passed its last 10 runs: p\(fail\) (<0\.1|0\.\d)%$/)
    for (const [id, reason] of reasons) if (id.startsWith('filler')) expect(reason).toMatch(/^(long \(1\.0 s, \d% of the run\)|short \(1\.0 s\)): .*longest first/)
  })

  test('likely files the budget holds back say so', () => {
    // Every file changed: all likely, the short ones first by p/d. Running all 100 short ones (25 s of
    // work) before the 20 s file would end the run near 32.5 s against LPT's 22.6 s, so only some go first.
    const files = [
      planFile('long', evidenceOf(...passes(10, 20_000)), { change: 'changed' }),
      ...Array.from({ length: 100 }, (_, i) => planFile(`short-${String(i).padStart(3, '0')}`, evidenceOf(...passes(10, 200 + i)), { change: 'changed' })),
    ]
    const auto = plan(files, 'auto', 2)
    expect(auto.predictedMakespanMs).toBeLessThanOrEqual(plan(files, 'lpt', 2).predictedMakespanMs * 1.05)
    const early = auto.order.filter((file) => file.reason.endsWith('run early'))
    expect(early.length).toBeGreaterThan(5)
    expect(early.length).toBeLessThan(100)
    const long = auto.order.find((file) => file.fileId === 'long')!
    expect(long.reason).toMatch(/^long \(20\.0 s, \d+% of the run\): longest first so workers finish together \(LPT\); changed since the last run: p\(fail\) .+ — likely to fail, but run earlier it would lengthen the run by more than 5%$/)
    expect(auto.order.at(-1)!.reason).toMatch(/^packed after the long files, ahead of the short files less likely to fail: changed since the last run: .+ — likely to fail, but run earlier/)
  })
})

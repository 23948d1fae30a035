import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { suiteModel } from '../../../src/scheduling/failure-model.js'
import type { FileEvidence } from '../../../src/scheduling/file-evidence.js'
import { buildFileIdSlots, findFileIdRow, isUsableSlotTable } from '../../../src/store/file-id-table.js'
import { plainEvidence } from '../../../src/scheduling/file-evidence.js'
import { PlanIndex, packPlanIndex, unpackPlanIndex, type StoredPlanIndex } from '../../../src/store/plan-index.js'

function evidenceOf(i: number): FileEvidence {
  return {
    runs: 10 + i, lastStatus: i % 3 === 0 ? 'failed' : i % 3 === 1 ? 'passed' : null, predictedMs: i % 4 === 0 ? null : 100 + i * 7,
    timedRuns: i % 5, p90Ms: i % 4 === 0 ? null : 200 + i, lastSeq: 40 + i, lastFailedSeq: i % 3 === 0 ? 30 + i : 0,
    failureScore: (i % 7) / 10, ranRuns: 8 + i, failedRuns: i % 3, flips: i % 2,
  }
}

function evidenceMap(ids: readonly string[]): Map<string, FileEvidence> {
  return new Map(ids.map((id, i) => [id, evidenceOf(i)]))
}

describe('the file-id table', () => {
  test('finds the row of every id and misses every other id', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 300 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 30 }), (ids, others) => {
        const slots = buildFileIdSlots(ids)
        expect(isUsableSlotTable(slots, ids.length)).toBe(true)
        ids.forEach((id, row) => expect(findFileIdRow(ids, slots, id)).toBe(row))
        for (const other of others) expect(findFileIdRow(ids, slots, other)).toBe(ids.indexOf(other))
      }),
    )
  })

  test('a damaged table is not usable', () => {
    const slots = buildFileIdSlots(['a', 'b', 'c'])
    expect(isUsableSlotTable(slots.slice(0, 15), 3)).toBe(false)
    expect(isUsableSlotTable(slots, 1)).toBe(false)
    const full = new Int32Array(16).fill(1)
    expect(isUsableSlotTable(full, 3)).toBe(false)
  })
})

describe('the plan index', () => {
  const ids = Array.from({ length: 500 }, (_, i) => `web:tests/dir-${i % 7}/file-${i}.test.ts`)

  test('packs and reads back every file\'s evidence, with the suite model of all files', () => {
    const evidence = evidenceMap(ids)
    const stored = packPlanIndex(evidence, ['web'])
    expect(stored.ids).toBeUndefined()
    expect(typeof stored.idText).toBe('string')
    const index = new PlanIndex(stored)
    expect(index.size).toBe(ids.length)
    for (const [id, e] of evidence) expect(plainEvidence(index.get(id)!)).toEqual(e)
    expect(index.get('web:tests/missing.test.ts')).toBeUndefined()
    expect(index.suite).toEqual(suiteModel(evidence.values()))
    expect(index.projects).toEqual(['web'])
    expect(Array.from(unpackPlanIndex(stored).keys())).toEqual(ids)
  })

  test('the first stored form (an id array, no table, no suite model) reads the same', () => {
    const evidence = evidenceMap(ids)
    const { idText, slots, suite, ...rest } = packPlanIndex(evidence)
    const firstForm: StoredPlanIndex = { ...rest, ids: idText!.split('\0') }
    expect([slots, suite].every(Boolean)).toBe(true)
    const index = new PlanIndex(firstForm)
    for (const [id, e] of evidence) expect(plainEvidence(index.get(id)!)).toEqual(e)
    expect(index.suite).toEqual(suiteModel(evidence.values()))
  })

  test('a damaged table or suite model is rebuilt, not trusted', () => {
    const evidence = evidenceMap(ids)
    const stored = packPlanIndex(evidence)
    const damaged = new PlanIndex({ ...stored, slots: new Uint8Array(stored.slots!.byteLength).fill(255), suite: { failureRate: -1, medianMs: 0 } })
    for (const [id, e] of evidence) expect(plainEvidence(damaged.get(id)!)).toEqual(e)
    expect(damaged.suite).toEqual(suiteModel(evidence.values()))
  })

  test('ids holding the separator keep the array form', () => {
    const odd = ['a\0b', 'c']
    const stored = packPlanIndex(evidenceMap(odd))
    expect(stored.ids).toEqual(odd)
    expect(plainEvidence(new PlanIndex(stored).get('a\0b')!)).toEqual(evidenceOf(0))
  })
})

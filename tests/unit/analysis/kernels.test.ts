import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { defaultWasmLocations, dtw, dtwMany } from '../../../src/analysis/index.js'
import { loadKernels } from '../../../src/analysis/kernels.js'
import { ErrorCodes } from '../../../src/errors.js'
import { dtwReference } from './reference.js'

const scratch = mkdtempSync(join(tmpdir(), 'flakeline-kernels-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('the kernels module', () => {
  test('is found at one of the built-in locations and has no imports', () => {
    const found = defaultWasmLocations().filter((path) => existsSync(path))
    expect(found.length).toBeGreaterThan(0)
    const kernels = loadKernels(found[0]!)
    expect(kernels.location).toBe(found[0])
    expect(kernels.exports.dtw(0, 0, 0, 0, -1, Infinity, kernels.exports.heapBase())).toBe(0)
  })

  test('reports a missing, invalid or incomplete .wasm with the wasm code', () => {
    const missing = join(scratch, 'missing.wasm')
    expect(() => loadKernels(missing)).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_WASM, message: expect.stringContaining(missing) }))
    const garbage = join(scratch, 'garbage.wasm')
    writeFileSync(garbage, 'not a module')
    expect(() => loadKernels(garbage)).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_WASM }))
    // A valid but empty module: the magic number and version, nothing else.
    const empty = join(scratch, 'empty.wasm')
    writeFileSync(empty, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]))
    expect(() => loadKernels(empty)).toThrow(expect.objectContaining({ code: ErrorCodes.ANALYSIS_WASM, message: expect.stringContaining('export memory is missing') }))
  })

  test('grows its memory for large inputs and keeps working for small ones after', () => {
    // 2,000 series × 2,000 values: 32 MB of input in one call.
    const query = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i))
    const many = Array.from({ length: 2_000 }, (_, k) => Float64Array.from({ length: 2_000 }, (_, i) => Math.cos(i + k)))
    const distances = dtwMany(query, many, { window: 5 })
    expect(distances[1_234]).toBe(dtwReference(query, many[1_234]!, { window: 5 }))
    expect(dtw([1, 2], [2, 1])).toBe(2)
  })
})

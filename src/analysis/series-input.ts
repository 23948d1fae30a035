import { inputError } from './errors.js'
import type { Kernels } from './kernels.js'

/** A numeric series: a plain array or any typed array of numbers (not BigInt). */
export type NumericSeries = ArrayLike<number>

/** An integer-coded sequence: an Int32Array, or numbers that are integers in the i32 range. */
export type IntegerSequence = Int32Array | ArrayLike<number>

function isNumberArray(value: unknown): value is ArrayLike<number> {
  if (Array.isArray(value)) return true
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array)
}

/** Throws ANALYSIS_INPUT unless `value` is an array or typed array of numbers. */
export function checkSeries(value: unknown, label: string): asserts value is ArrayLike<number> {
  if (!isNumberArray(value)) throw inputError(`${label} must be an array or typed array of numbers`)
}

/**
 * Copies `values` into kernel memory at `ptr` (reserved by the caller) and rejects NaN and
 * ±Infinity, naming the first offending index. The check runs in the kernels (SIMD).
 */
export function writeFinite(kernels: Kernels, ptr: number, values: ArrayLike<number>, label: string): void {
  // Typed arrays hold numbers by construction; a plain array could hold anything, and
  // TypedArray.set would silently turn "12" into 12.
  if (Array.isArray(values)) {
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number') throw inputError(`${label}[${i}] is ${typeof values[i]}; series must hold numbers`)
    }
  }
  kernels.f64(ptr, values.length).set(values)
  const bad = kernels.exports.firstNonFinite(ptr, values.length)
  if (bad >= 0) {
    throw inputError(`${label}[${bad}] is ${String(values[bad])}; series must hold finite numbers (NaN and Infinity have no distance)`)
  }
}

/** Reserves room for `values` and writes them as f64, validated; returns the pointer. */
export function placeSeries(kernels: Kernels, values: unknown, label: string): number {
  checkSeries(values, label)
  const ptr = kernels.reserve(values.length * 8)
  writeFinite(kernels, ptr, values, label)
  return ptr
}

/** Reserves room for an integer sequence and writes it as i32, validated; returns the pointer. */
export function placeIntegers(kernels: Kernels, values: unknown, label: string): number {
  checkSeries(values, label)
  if (!(values instanceof Int32Array)) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (!Number.isInteger(v) || v < -2_147_483_648 || v > 2_147_483_647) {
        throw inputError(`${label}[${i}] is ${String(v)}; sequences must hold integers between -2^31 and 2^31-1`)
      }
    }
  }
  const ptr = kernels.reserve(values.length * 4)
  kernels.i32(ptr, values.length).set(values)
  return ptr
}

/**
 * Reads an optional integer option. `Infinity` is allowed where `unbounded` is true and comes
 * back as -1, the kernels' "no limit".
 */
export function integerOption(options: object, name: string, min: number, fallback: number, unbounded = false): number {
  const value = (options as Record<string, unknown>)[name]
  if (value === undefined) return fallback
  if (unbounded && value === Infinity) return -1
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const range = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`
    throw inputError(`options.${name} must be ${range}${unbounded ? ' or Infinity' : ''} (got ${String(value)})`)
  }
  return Math.min(value, 2_147_483_647)
}

/** Throws ANALYSIS_INPUT unless `options` is undefined or a plain object. */
export function checkOptions(options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw inputError(`options must be an object (got ${options === null ? 'null' : typeof options})`)
  }
}

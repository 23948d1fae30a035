import { activeKernels } from './kernels.js'
import { placeIntegers, type IntegerSequence } from './series-input.js'

/**
 * Length of the longest common subsequence of two integer-coded sequences (for example test
 * outcomes coded 0 = passed, 1 = failed). Empty input gives 0. Non-integers, NaN and values
 * outside the i32 range throw `FLAKELINE_E_ANALYSIS_INPUT`.
 *
 * @example lcsLength([0, 1, 0, 1], [1, 0, 1]) // 3
 */
export function lcsLength(a: IntegerSequence, b: IntegerSequence): number {
  const kernels = activeKernels()
  kernels.begin()
  const pa = placeIntegers(kernels, a, 'a')
  const pb = placeIntegers(kernels, b, 'b')
  const scratch = kernels.reserve((b.length + 1) * 8)
  return kernels.exports.lcsLength(pa, a.length, pb, b.length, scratch)
}

/**
 * Levenshtein distance between two integer-coded sequences: the fewest unit-cost insertions,
 * deletions and substitutions turning `a` into `b`. Against an empty sequence it is the other
 * length. Validation as for {@link lcsLength}.
 *
 * @example editDistance([0, 0, 1], [0, 1, 1]) // 1
 */
export function editDistance(a: IntegerSequence, b: IntegerSequence): number {
  const kernels = activeKernels()
  kernels.begin()
  const pa = placeIntegers(kernels, a, 'a')
  const pb = placeIntegers(kernels, b, 'b')
  const scratch = kernels.reserve((b.length + 1) * 8)
  return kernels.exports.editDistance(pa, a.length, pb, b.length, scratch)
}

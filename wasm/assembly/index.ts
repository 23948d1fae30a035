// The kernels module's exports. Memory is managed by the host: it lays out inputs, outputs and
// scratch space from `heapBase()` upward and grows the exported memory itself, so no allocator
// or garbage collector is compiled in (`--runtime stub` and nothing here allocates).
export { heapBase, firstNonFinite } from './memory'
export { dtw, dtwMany } from './dtw'
export { subsequenceDtw } from './subsequence'
export { lcsLength, editDistance } from './edit'
export { autocorrelation, meanAndVariance } from './autocorrelation'
export { rosenstein } from './rosenstein'

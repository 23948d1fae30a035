import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { inputError, wasmError } from './errors.js'

// The WebAssembly JS API is not in the ES library this package compiles against (no DOM lib),
// so the little of it used here is typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** The functions `wasm/assembly/index.ts` exports; pointers are byte offsets into `memory`. */
export interface KernelExports {
  memory: WasmMemory
  heapBase(): number
  firstNonFinite(ptr: number, length: number): number
  dtw(a: number, n: number, b: number, m: number, window: number, limit: number, scratch: number): number
  dtwMany(q: number, n: number, series: number, offsets: number, count: number, window: number, limit: number, out: number, scratch: number): void
  subsequenceDtw(p: number, m: number, s: number, n: number, window: number, outDistance: number, outStart: number, scratch: number): void
  lcsLength(a: number, n: number, b: number, m: number, scratch: number): number
  editDistance(a: number, n: number, b: number, m: number, scratch: number): number
  autocorrelation(x: number, n: number, maxLag: number, out: number, scratch: number): void
  meanAndVariance(x: number, n: number, out: number): void
  rosenstein(x: number, n: number, dimension: number, delay: number, theiler: number, steps: number, fit: number, floor2: number, out: number, scratch: number): void
}

const PAGE = 65_536

// Where the .wasm sits relative to this module: dist/src/analysis → dist/wasm (the package),
// src/analysis → dist/wasm (sources run by vitest after a build), dist/cjs → dist/wasm (bundles).
const CANDIDATES = ['../../wasm/kernels.wasm', '../../dist/wasm/kernels.wasm', '../wasm/kernels.wasm']

/** The built-in locations tried, in order, when no explicit path is given. */
export function defaultWasmLocations(): string[] {
  return CANDIDATES.map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
}

/**
 * One instantiated kernels module and a bump arena over its memory. Each public kernel call
 * starts with `begin()`, reserves what it needs, then takes views: growing the memory detaches
 * earlier views, so views are taken after the last `reserve()` of a step.
 */
export class Kernels {
  readonly exports: KernelExports
  /** The file the module was loaded from. */
  readonly location: string
  private readonly base: number
  private top: number

  constructor(exports: KernelExports, location: string) {
    this.exports = exports
    this.location = location
    this.base = align(exports.heapBase())
    this.top = this.base
  }

  /** Releases everything reserved by the previous call. */
  begin(): void {
    this.top = this.base
  }

  /** Reserves `bytes` (16-byte aligned, for v128 loads) and returns the pointer. */
  reserve(bytes: number): number {
    const ptr = this.top
    this.top = align(ptr + bytes)
    const memory = this.exports.memory
    const missing = this.top - memory.buffer.byteLength
    if (missing > 0) {
      try {
        memory.grow(Math.ceil(missing / PAGE))
      } catch (error) {
        throw inputError(`the inputs need ${Math.ceil(this.top / 2 ** 20)} MiB of WebAssembly memory, more than the engine allows (${String(error)})`)
      }
    }
    return ptr
  }

  /** A view of `length` f64 at `ptr`; valid until the next `reserve()` grows the memory. */
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.exports.memory.buffer, ptr, length)
  }

  /** A view of `length` i32 at `ptr`; valid until the next `reserve()` grows the memory. */
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.exports.memory.buffer, ptr, length)
  }
}

function align(n: number): number {
  return (n + 15) & ~15
}

/** Compiles and instantiates the kernels at `location`, synchronously; ANALYSIS_WASM on failure. */
export function loadKernels(location: string): Kernels {
  let bytes: Buffer
  try {
    bytes = readFileSync(location)
  } catch (error) {
    throw wasmError(`cannot read the analysis kernels at ${location}: ${(error as Error).message}`, error)
  }
  try {
    const module = new wasm.Module(bytes)
    const instance = new wasm.Instance(module, {})
    const exports = instance.exports as KernelExports
    for (const name of ['memory', 'heapBase', 'firstNonFinite', 'dtw', 'dtwMany', 'subsequenceDtw', 'lcsLength', 'editDistance', 'autocorrelation', 'meanAndVariance', 'rosenstein'] as const) {
      if (!(name in exports)) throw new Error(`export ${name} is missing`)
    }
    return new Kernels(exports, location)
  } catch (error) {
    throw wasmError(`cannot load the analysis kernels at ${location}: ${(error as Error).message}`, error)
  }
}

// Compiled once per thread and reused: module state lives per worker thread.
const loaded = new Map<string, Kernels>()
let active: Kernels | undefined

/** The kernels this thread's analysis functions use, loaded on first need. */
export function activeKernels(): Kernels {
  return (active ??= activateKernels())
}

/**
 * Makes the kernels at `location` (or the first built-in location that exists) the ones this
 * thread uses. Loading happens once per location per thread.
 */
export function activateKernels(location?: string): Kernels {
  const path = location ?? findDefault()
  let kernels = loaded.get(path)
  if (!kernels) {
    kernels = loadKernels(path)
    loaded.set(path, kernels)
  }
  active = kernels
  return kernels
}

function findDefault(): string {
  const tried = defaultWasmLocations()
  const found = tried.find((path) => existsSync(path))
  if (found) return found
  throw wasmError(`the analysis kernels (kernels.wasm) are missing; run the package build. Looked in: ${tried.join(', ')}`)
}

// Seeded, deterministic series from known systems, shared by the analysis tests and the bench.

/** mulberry32, the PRNG of the shuffle policy: uniform in [0, 1). */
import { seededRandom as seeded } from '../../../src/scheduling/policies/shuffle.js'

export { seeded }

/** Standard normal deviates by Box-Muller. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

/** The logistic map x → r·x·(1 - x) after a burn-in of 100 steps. */
export function logisticMap(length: number, x0: number, r = 4): number[] {
  let x = x0
  for (let i = 0; i < 100; i++) x = r * x * (1 - x)
  return Array.from({ length }, () => (x = r * x * (1 - x)))
}

/** A sine wave with the given period in samples. */
export function sineWave(length: number, period: number, amplitude = 1, offset = 0): number[] {
  return Array.from({ length }, (_, i) => offset + amplitude * Math.sin((2 * Math.PI * i) / period))
}

/** Exponential decay towards `level`. */
export function decay(length: number, timeConstant: number, level = 0, start = 1): number[] {
  return Array.from({ length }, (_, i) => level + (start - level) * Math.exp(-i / timeConstant))
}

/** Independent uniform noise around `level`. */
export function uniformNoise(length: number, seed: number, level = 0, spread = 1): number[] {
  const random = seeded(seed)
  return Array.from({ length }, () => level + spread * (random() - 0.5))
}

/** An AR(1) process x_t = φ·x_{t-1} + ε_t with Gaussian innovations. */
export function autoregressive(length: number, phi: number, seed: number): number[] {
  const normal = gaussian(seeded(seed))
  let x = 0
  return Array.from({ length }, () => (x = phi * x + normal()))
}

import { performance } from 'node:perf_hooks'

/** Median of `runs` timings of `body` in milliseconds, after one warm-up call. */
export async function medianMs(runs: number, body: () => unknown): Promise<number> {
  await body()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await body()
    times.push(performance.now() - start)
  }
  return median(times)
}

export function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** One result line: what, the figure, the target, and whether it is met. */
export function report(what: string, figure: string, target: string, met: boolean): void {
  console.log(`${met ? 'ok  ' : 'MISS'}  ${what.padEnd(58)} ${figure.padStart(22)}   target ${target}`)
}

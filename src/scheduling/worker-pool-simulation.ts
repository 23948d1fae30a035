/**
 * The runners hand files to workers in order: each file goes to the first worker that becomes
 * free (list scheduling). This replays that on `workers` workers from predicted durations.
 */
export class WorkerPoolSimulation {
  /** Time each worker becomes free, kept as a binary min-heap. */
  private readonly free: Float64Array
  private readonly size: number

  /** `free`: when each worker becomes free, a heap as `clone` passes it (copied); all at 0 without it. */
  constructor(workers: number, free?: Float64Array) {
    this.size = Math.max(1, Math.floor(workers))
    this.free = free ? free.slice() : new Float64Array(this.size)
  }

  /** A copy that dispatches on from this pool's state, for trying an order without committing it. */
  clone(): WorkerPoolSimulation {
    return new WorkerPoolSimulation(this.size, this.free)
  }

  /** When the next file would start. */
  get nextStart(): number {
    return this.free[0]!
  }

  /** When the worker after the next one becomes free (Infinity with one worker). */
  get secondStart(): number {
    if (this.size === 1) return Infinity
    if (this.size === 2) return this.free[1]!
    return Math.min(this.free[1]!, this.free[2]!)
  }

  /** Gives the next file to the first free worker; returns its start time. */
  dispatch(durationMs: number): number {
    const start = this.free[0]!
    this.free[0] = start + durationMs
    this.siftDown()
    return start
  }

  /** When the last worker finishes. */
  get makespan(): number {
    let max = 0
    for (let i = 0; i < this.size; i++) max = Math.max(max, this.free[i]!)
    return max
  }

  private siftDown(): void {
    const heap = this.free
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < this.size && heap[left]! < heap[smallest]!) smallest = left
      if (right < this.size && heap[right]! < heap[smallest]!) smallest = right
      if (smallest === i) return
      const swap = heap[i]!
      heap[i] = heap[smallest]!
      heap[smallest] = swap
      i = smallest
    }
  }
}

/**
 * Start of each file (by position in `order`) and the makespan, for durations listed in `order`;
 * every worker is free from `readyMs` (its start-up).
 */
export function simulateOrder(durationsInOrder: ArrayLike<number>, workers: number, readyMs = 0): { starts: Float64Array; makespan: number } {
  const pool = new WorkerPoolSimulation(workers, readyMs > 0 ? new Float64Array(Math.max(1, Math.floor(workers))).fill(readyMs) : undefined)
  const starts = new Float64Array(durationsInOrder.length)
  for (let i = 0; i < durationsInOrder.length; i++) starts[i] = pool.dispatch(durationsInOrder[i]!)
  return { starts, makespan: pool.makespan }
}

/** The makespan longest-first list scheduling reaches (within 4/3 of the best possible). */
export function longestFirstMakespan(durations: ArrayLike<number>, workers: number): number {
  const sorted = Float64Array.from(durations).sort().reverse()
  return simulateOrder(sorted, workers).makespan
}

/**
 * The y-range of the pass-rate chart, from its data. Pure, for the browser bundle and Node tests.
 *
 * A fixed 0–100 scale draws 3 failures among 3,772 tests (99.92 %) on the same pixel as 100 %: a
 * flat line that hides every failure a suite usually has. The axis instead runs from a little below
 * the lowest pass rate shown to 100, cut at a round number of the size of that gap: 99.92 % gives
 * 99.91–100, one failure in 35 (97.1 %) gives 96–100, and a run that mostly failed still gets the
 * whole 0–100. 100 stays the top, so "all passed" is always the top edge. When every run passed,
 * the axis is 99–100 and the line sits on the top edge. The failures chart beside it shows the counts.
 */
export function passRateRange(rates: ReadonlyArray<number | null>): [number, number] {
  const known = rates.filter((rate): rate is number => typeof rate === 'number' && Number.isFinite(rate))
  if (known.length === 0) return [0, 100]
  const lowest = Math.max(0, Math.min(...known, 100))
  if (lowest >= 100) return [99, 100]
  const gap = 100 - lowest
  // A margin under the lowest point (a tenth of the gap), then down to a round step of the gap's size.
  const step = 10 ** Math.floor(Math.log10(gap))
  const floor = Math.floor((lowest - gap / 10) / step) * step
  return [Math.max(0, Number(floor.toFixed(6))), 100]
}

/** The y-range of a count chart (failed tests per run): from 0, at least 0–1, so one failure stands a full axis high. */
export function countRange(counts: ReadonlyArray<number | null>): [number, number] {
  const known = counts.filter((count): count is number => typeof count === 'number' && Number.isFinite(count))
  return [0, Math.max(1, ...known)]
}

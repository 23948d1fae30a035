import uPlot from 'uplot'
import { countRange, passRateRange } from '../chart-scale.js'

export interface RunPoint {
  startedAt: string
  passed: number
  failed: number
  durationMs: number
  status: string
}

let charts: uPlot[] = []

interface ChartSpec {
  id: string
  title: string
  label: string
  values: Array<number | null>
  stroke: string
  range: [number, number] | null
  /** Tick steps uPlot may choose from; counts use whole numbers only. */
  incrs?: number[]
}

/**
 * Pass rate, failed tests and duration of the recorded runs, oldest first, as small uPlot charts.
 * The pass-rate axis follows the data (see `passRateRange`), so one failure among thousands shows.
 * Each chart's holder carries its y-range as `data-y-min`/`data-y-max`, read from uPlot when it draws.
 */
export function drawTrends(container: HTMLElement, runs: RunPoint[]): void {
  for (const chart of charts) chart.destroy()
  charts = []
  container.replaceChildren()
  const finished = runs.filter((run) => run.status !== 'running')
  if (finished.length === 0) {
    container.append(document.createTextNode('No recorded runs yet.'))
    return
  }
  // Runs are numbered rather than placed in time: a few runs days apart stay readable.
  const x = finished.map((_, index) => index + 1)
  const passRate = finished.map((run) => (run.passed + run.failed > 0 ? (100 * run.passed) / (run.passed + run.failed) : null))
  const failed = finished.map((run) => run.failed)
  const specs: ChartSpec[] = [
    { id: 'pass-rate', title: 'Pass rate', label: 'pass rate %', values: passRate, stroke: '#2f9e44', range: passRateRange(passRate) },
    { id: 'failed', title: 'Failed tests', label: 'failed', values: failed, stroke: '#e03131', range: countRange(failed), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] },
    { id: 'duration', title: 'Duration', label: 'duration s', values: finished.map((run) => run.durationMs / 1000), stroke: '#1c7ed6', range: null },
  ]
  const width = Math.max(260, Math.floor((container.clientWidth || 900) / specs.length) - 16)
  const common = { width, height: 180, legend: { show: true }, cursor: { drag: { x: false, y: false } } }
  for (const spec of specs) {
    const holder = document.createElement('div')
    holder.className = 'chart'
    holder.dataset.chart = spec.id
    container.append(holder)
    const chart = new uPlot(
      {
        ...common,
        title: spec.title,
        scales: { x: { time: false }, ...(spec.range ? { y: { range: spec.range } } : {}) },
        axes: [{ label: 'run', values: (_: uPlot, ticks: number[]) => ticks.map((tick) => (Number.isInteger(tick) ? String(tick) : '')) }, spec.incrs ? { incrs: spec.incrs } : {}],
        series: [{ label: 'run' }, { label: spec.label, stroke: spec.stroke, width: 2, points: { show: true, size: 6 } }],
        hooks: {
          draw: [
            (drawn: uPlot) => {
              holder.dataset.yMin = String(drawn.scales.y?.min ?? '')
              holder.dataset.yMax = String(drawn.scales.y?.max ?? '')
            },
          ],
        },
      },
      [x, spec.values],
      holder,
    )
    charts.push(chart)
  }
}

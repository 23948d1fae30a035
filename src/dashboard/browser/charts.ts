import uPlot from 'uplot'

export interface RunPoint {
  startedAt: string
  passed: number
  failed: number
  durationMs: number
  status: string
}

let charts: uPlot[] = []

/** Pass rate and duration of the recorded runs, oldest first, as two small uPlot charts. */
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
  const duration = finished.map((run) => run.durationMs / 1000)
  const width = Math.max(280, Math.floor((container.clientWidth || 900) / 2) - 24)
  const common = { width, height: 180, legend: { show: true }, cursor: { drag: { x: false, y: false } } }
  for (const [title, label, values, stroke] of [
    ['Pass rate', 'pass rate %', passRate, '#2f9e44'],
    ['Duration', 'duration s', duration, '#1c7ed6'],
  ] as const) {
    const holder = document.createElement('div')
    holder.className = 'chart'
    container.append(holder)
    charts.push(
      new uPlot(
        {
          ...common,
          title,
          scales: { x: { time: false }, ...(label === 'pass rate %' ? { y: { range: [0, 100] as [number, number] } } : {}) },
          axes: [{ label: 'run', values: (_: uPlot, ticks: number[]) => ticks.map((tick) => (Number.isInteger(tick) ? String(tick) : '')) }, {}],
          series: [{ label: 'run' }, { label, stroke, width: 2, points: { show: true, size: 6 } }],
        },
        [x, values as Array<number | null>],
        holder,
      ),
    )
  }
}

// latest.svg: time against N, log-log, one line per method, floors dashed. Vega-Lite compiles
// the spec and Vega renders SVG headless (no canvas needed).
import * as vega from 'vega';
import { compile } from 'vega-lite';

export async function renderChart(results) {
  const values = results.rounds.flatMap((round) =>
    Object.values(round.results)
      .filter((r) => r.median !== undefined)
      .map((r) => ({ method: r.label, n: round.n, ms: r.median, floor: r.kind === 'floor' })),
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `sockscope: time to read the TCP table (${results.date}, ${results.mode})`,
    width: 640,
    height: 420,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, title: 'sockets (N)' },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'median wall time (ms)' },
      color: { field: 'method', type: 'nominal', legend: { labelLimit: 400 } },
      strokeDash: { field: 'floor', type: 'nominal', scale: { domain: [false, true], range: [[1, 0], [6, 4]] }, title: 'floor' },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

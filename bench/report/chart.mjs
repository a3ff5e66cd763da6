// The charts: time against N, log-log, one line per method, floors dashed. Vega-Lite compiles
// the spec and Vega renders SVG headless (no canvas needed). Each chart names the rows it draws
// (every row is in latest.md): 28 lines in one chart repeat colours and cut their labels.
import * as vega from 'vega';
import { compile } from 'vega-lite';

import { forcedKs, pairedId } from '../contenders/paired.mjs';
import { isDefaultMix, mixOf } from '../lib/rounds.mjs';

export const CHARTS = [
  {
    file: 'latest.svg',
    title: 'sockscope against the tools it replaces',
    rows: [
      ['netstat-pipeline', 'spawn netstat -an | awk | sort | uniq -c'],
      ['netstat', 'spawn netstat -ant, parse'],
      ['ss-tan', 'spawn ss -tan, parse'],
      ['systeminformation', 'systeminformation networkConnections()'],
      ['node-netstat', 'node-netstat'],
      ['floor', 'C floor: one netlink dump per family'],
      ['bare-read', 'bare read() of /proc/net/tcp{,6}'],
      ['countStates-netlink', 'sockscope countStates()'],
      ['snapshot-netlink', 'sockscope snapshot()'],
      ['snapshot-proc', "sockscope snapshot({ source: 'proc' })"],
      ['listenQueues', 'sockscope listenQueues()'],
      ['watch', 'sockscope watch(), one sample'],
      ['countBy-remotePrefix', 'sockscope countBy({ by: remotePrefix })'],
      ['countBy-state-localPort', 'sockscope countBy({ by: [state, localPort] })'],
    ],
  },
  {
    file: 'partitions.svg',
    title: 'Partitioned dumps: K parts cost about W + F/K',
    // Each call over the C floor it alternated with (paired.mjs): the ratio of one machine-minute.
    overPairedFloor: true,
    rules: [
      [1, 'the C floor: one dump per family'],
      [0.75, 'the table target'],
      [0.6, 'the count target'],
    ],
    // The K that paired.mjs measured on the results' machine.
    rows: ({ machine }) => {
      const forced = (fn) =>
        forcedKs(machine.cores).map((k) => [pairedId(fn, k), `${fn}(), K = ${k}${k === 1 ? ': one combined-family dump' : ''}`]);
      return [
        ...forced('snapshot'),
        [pairedId('snapshot'), "snapshot(), 'auto'"],
        ...forced('countStates'),
        [pairedId('countStates'), "countStates(), 'auto': ESTABLISHED from Tcp CurrEstab"],
      ];
    },
  },
];

/** One chart's SVG: its rows' medians over the rounds (N) of `results`. */
export async function renderChart(results, chart) {
  const rows = typeof chart.rows === 'function' ? chart.rows(results) : chart.rows;
  // One line per method over N, of one mix: the default, or the run's only one (another mix at
  // the same N is a table of its own).
  const rounds = results.rounds.some(isDefaultMix) ? results.rounds.filter(isDefaultMix) : results.rounds.filter((r) => mixOf(r) === mixOf(results.rounds[0]));
  const values = rounds.flatMap((round) =>
    rows
      .map(([id, method]) => [round.results[id], method])
      .filter(([r]) => r?.median !== undefined && (!chart.overPairedFloor || r.floorMedian))
      .map(([r, method]) => ({
        method,
        n: round.n,
        y: chart.overPairedFloor ? r.median / r.floorMedian : r.median,
        floor: r.kind === 'floor',
      })),
  );
  const ns = values.map((v) => v.n);
  const fewestN = ns.length ? Math.min(...ns) : 1; // a chart of no rows still renders (empty)
  const x = { field: 'n', type: 'quantitative', title: 'sockets (N)', scale: { type: 'log', nice: false } };
  if (ns.length) x.scale.domain = [fewestN, Math.max(...ns)];
  const y = chart.overPairedFloor
    ? { field: 'y', type: 'quantitative', title: 'median time ÷ the C floor alternated with it' }
    : { field: 'y', type: 'quantitative', scale: { type: 'log' }, title: 'median wall time (ms)' };
  const lines = {
    mark: { type: 'line', point: true },
    encoding: {
      x,
      y,
      color: {
        field: 'method',
        type: 'nominal',
        sort: rows.map(([, method]) => method),
        scale: { scheme: 'tableau20' },
        legend: { labelLimit: 0, title: null },
      },
      strokeDash: { field: 'floor', type: 'nominal', scale: { domain: [false, true], range: [[1, 0], [6, 4]] }, legend: null },
    },
  };
  const rules = (chart.rules ?? []).map(([at, text]) => ({
    data: { values: [{ at, text }] },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [2, 2] }, encoding: { y: { field: 'at', type: 'quantitative' } } },
      {
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#555' },
        encoding: { y: { field: 'at', type: 'quantitative' }, x: { datum: fewestN }, text: { field: 'text' } },
      },
    ],
  }));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: chart.title, subtitle: `${results.date}, ${results.mode}, ${results.machine.cores} cores` },
    width: 560,
    height: 380,
    data: { values },
    layer: [lines, ...rules],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

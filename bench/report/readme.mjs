// The README's benchmark section: a short table of the methods a reader compares, the targets,
// written between the README's bench markers by a full run (node bench/run.mjs without --quick
// or --only, or a --merge into one), so the README always shows the latest full results.
import { readFileSync, writeFileSync } from 'node:fs';

import { mergedNote, row } from './markdown.mjs';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

// The rows, in reading order: what people spawn today, then the floors, then sockscope.
const ROWS = [
  ['netstat-pipeline', 'spawn `netstat -an | awk | sort | uniq -c`'],
  ['netstat', 'spawn `netstat -ant`, parse'],
  ['ss-tan', 'spawn `ss -tan`, parse'],
  ['systeminformation', '`systeminformation` networkConnections()'],
  ['node-netstat', '`node-netstat`'],
  ['floor', 'C floor: one netlink dump per family, counting'],
  ['floor-combined', 'C: one combined-family dump, counting'],
  ['bare-read', 'bare `read()` of /proc/net/tcp{,6}'],
  ['countStates-netlink', '**sockscope `countStates()`**'],
  ['snapshot-netlink', '**sockscope `snapshot()`** (full table)'],
  ['paired-snapshot', 'C floor, alternated with `snapshot()`', 'floorMedian'],
  ['paired-snapshot', 'sockscope `snapshot()`, alternated with the C floor'],
  ['paired-countStates', 'C floor, alternated with `countStates()`', 'floorMedian'],
  ['paired-countStates', 'sockscope `countStates()`, alternated with the C floor'],
  ['countStates-k1', 'sockscope `countStates({ partitions: 1 })`'],
  ['snapshot-k1', 'sockscope `snapshot({ partitions: 1 })`'],
  ['snapshot-proc', "sockscope `snapshot({ source: 'proc' })`"],
  ['listenQueues', 'sockscope `listenQueues()`'],
  ['watch', 'sockscope `watch()`, one sample'],
];

const fmtN = (n) => (n >= 1000 ? `${n / 1000}k` : String(n));
const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

// field: which of the result's medians (a paired run holds the floor's beside the call's).
function cell(r, field = 'median') {
  if (!r) return '';
  if (r.skipped) return 'skipped';
  if (r.error) return r.error.startsWith('timed out') ? `> ${r.error.replace(/\D+/g, '')} s` : 'error';
  return `${ms(r[field])} ms`;
}

export function renderReadmeSection(results) {
  const { rounds, machine: m } = results;
  const head = ['method', ...rounds.map((r) => `N=${fmtN(r.n)}`)];
  const lines = [
    `Median wall time, ${m.cores} cores (${m.cpu}), Linux ${m.kernel}, Node ${m.node}, ${results.date.slice(0, 10)}; ` +
      (results.mode === 'namespace' ? 'each N in a fresh network namespace filled by `bench/fixture`.' : "the host's own table.") +
      (results.merged ? ` ${mergedNote(results)}` : ''),
    '',
    row(head),
    `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`,
  ];
  for (const [id, label, field] of ROWS) {
    if (!rounds.some((r) => r.results[id])) continue;
    lines.push(row([label, ...rounds.map((r) => cell(r.results[id], field))]));
  }
  lines.push('', row(['target', 'N', 'measured', '']), '|---|---:|---:|---|');
  for (const t of results.targets) {
    const value = t.value === undefined ? '' : `${t.value.toFixed(2)}${t.unit}`;
    const verdict = t.pass === null ? `n/a (${t.miss})` : t.pass ? 'pass' : `**missed**, ${t.miss}`;
    lines.push(row([t.text, fmtN(t.n), value, verdict]));
  }
  lines.push('', 'Every row, ratio and cost fit: [bench/results/latest.md](bench/results/latest.md).');
  return lines.join('\n');
}

/** Puts the section between the README's markers; false when the README has none. */
export function updateReadme(readmeUrl, results) {
  const text = readFileSync(readmeUrl, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  writeFileSync(readmeUrl, `${text.slice(0, a + START.length)}\n${renderReadmeSection(results)}\n${text.slice(b)}`);
  return true;
}

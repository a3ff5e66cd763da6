// docs/benchmark.md: one run, whole. Written by a full run (node bench/run.mjs without --quick or
// --only, or a --merge into one) and by --render, from the results of that run, so the page
// always shows the latest full sweep with its date and machine. The history is git's.
import { writeFileSync } from 'node:fs';

import { roundTitle } from '../lib/rounds.mjs';
import { mergedNote, row } from './markdown.mjs';

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
  ['countBy-remotePrefix', "sockscope `countBy({ by: 'remotePrefix' })`"],
  ['paired-countBy-remotePrefix', '`snapshot()`, alternated with `countBy()` by remotePrefix', 'snapshotMedian'],
  ['paired-countBy-remotePrefix', "sockscope `countBy({ by: 'remotePrefix' })`, alternated with `snapshot()`"],
  ['countBy-state-localPort', "sockscope `countBy({ by: ['state', 'localPort'] })`"],
  ['paired-countBy-state-localPort', '`snapshot()`, alternated with `countBy()` by state and localPort', 'snapshotMedian'],
  ['paired-countBy-state-localPort', "sockscope `countBy({ by: ['state', 'localPort'] })`, alternated with `snapshot()`"],
];

const fmtN = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(0)} GiB`;

// field: which of the result's medians (a paired run holds the floor's beside the call's).
function cell(r, field = 'median') {
  if (!r) return '';
  if (r.skipped) return 'skipped';
  if (r.error) return r.error.startsWith('timed out') ? `> ${r.error.replace(/\D+/g, '')} s` : 'error';
  return `${ms(r[field])} ms`;
}

/** The run's date, machine and mode in one sentence. */
function runLine(results) {
  const m = results.machine;
  const when = `${results.date.slice(0, 10)} ${results.date.slice(11, 16)} UTC`;
  const memory = m.memoryBytes ? `, ${gib(m.memoryBytes)} of memory` : '';
  const where =
    results.mode === 'namespace'
      ? 'Each N ran in a fresh network namespace filled by `bench/fixture`.'
      : "**Host mode**: no namespace could be made, so this is the host's own table as it was, no fixture.";
  return `The run of ${when}: ${m.cores} cores (${m.cpu})${memory}, Linux ${m.kernel}, Node ${m.node}. ${where}` +
    (results.quick ? ' A quick run (`--quick`).' : '') +
    (results.merged ? ` ${mergedNote(results)}` : '');
}

function timeTable(rounds) {
  const head = ['method', ...rounds.map((r) => `N=${roundTitle(r, fmtN)}`)];
  const lines = [row(head), `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const [id, label, field] of ROWS) {
    if (!rounds.some((r) => r.results[id])) continue;
    lines.push(row([label, ...rounds.map((r) => cell(r.results[id], field))]));
  }
  return lines.join('\n');
}

function targetTable(targets) {
  const lines = [row(['target', 'N', 'measured', '']), '|---|---:|---:|---|'];
  for (const t of targets) {
    const value = t.value === undefined ? '' : `${t.value.toFixed(2)}${t.unit}`;
    const verdict = t.pass === null ? `n/a (${t.miss})` : t.pass ? 'pass' : `**missed**, ${t.miss}`;
    lines.push(row([t.text, t.mix ? `${fmtN(t.n)} ${t.mix}` : fmtN(t.n), value, verdict]));
  }
  return lines.join('\n');
}

/** The whole of docs/benchmark.md for `results` (latest.json). */
export function renderBenchmarkDoc(results) {
  return `# Benchmark

<!-- Written by bench/report/benchmark-doc.mjs from bench/results/latest.json: edit that, not this page. -->

How long it takes to read the TCP table of N sockets, with sockscope and with what people use
today, against a floor written in C.

${runLine(results)}

To reproduce (as root, so that each N gets a namespace of its own; otherwise the host's table is
measured as it is):

\`\`\`sh
npm run bench              # the full sweep: N = 1k, 10k, 100k, 300k, and 100k mostly TIME_WAIT
npm run bench:1m           # N = 1M: counts, the table, countBy, the C floor; merged into the sweep's results
npm run bench -- --quick   # N = 10k, about a minute
node bench/run.mjs --render   # this page, latest.md and the charts again from latest.json, measuring nothing
\`\`\`

## Median wall time

${timeTable(results.rounds)}

![benchmark chart](../bench/results/latest.svg)

## Targets

Judged at 100k and 300k sockets, the ratios that must hold on the largest hosts at 1M too where
it ran, and state counts on the mostly-TIME_WAIT table (\`timewait\`) at 100k; a ratio to the C
floor or to \`snapshot()\` comes from the rows that alternated the two in one process, where they ran.

${targetTable(results.targets)}

Why a LISTEN-only read and the event loop's busy time are the hardest to hold as N grows:
[design.md](design.md#what-stays-expensive-at-large-n).

## What is measured

- **The contenders.** sockscope's reads (\`countStates\` and \`snapshot\`, async and sync, over
  netlink and over /proc, \`listenQueues\`, \`watch\`, \`countBy\` by remote prefix and by state and
  local port); what people use today (\`ss -tan\`, \`ss -s\`,
  \`netstat -ant\`, the \`netstat | awk | sort | uniq -c\` pipeline, reading \`/proc/net/tcp\` in
  JavaScript, the \`systeminformation\` and \`node-netstat\` packages); and a floor: a C program doing
  the bare netlink dump, per family and as one combined walk, in-process and as a spawned process,
  plus a bare \`read()\` of \`/proc/net/tcp{,6}\` without parsing.
- **The fixture.** As root, each N runs in a fresh network namespace filled by \`bench/fixture\`:
  80% IPv4 ESTABLISHED pairs, 5% IPv6, 5% FIN_WAIT2/CLOSE_WAIT, 9% TIME_WAIT, 1% LISTEN; the
  \`timewait\` round, a server closing many short connections: 60% TIME_WAIT, 35% IPv4 ESTABLISHED,
  2% IPv6, 2% FIN_WAIT2/CLOSE_WAIT, 1% LISTEN.
- **The timing.** Every contender runs in a fresh Node process, timed by benchmark.js; for a
  spawned tool the spawn and the parse are timed together. The \`alternated\` rows run the call and
  the C floor (for \`countBy\`, \`snapshot()\`) in turns in one process, so that their ratio is of
  one machine-minute: on a VM, two rows measured one after the other can be 25% apart.
- **The event loop.** For each async call the bench also measures the loop's busy time during one
  call and the longest late firing of a 1 ms timer ([latest.md](../bench/results/latest.md) has
  both).
- **Memory.** For each library call, the growth of peak RSS during a fresh process's first call,
  which counts the working memory a native aggregation frees before it returns: \`countBy\`'s
  must not grow with N.

Every row, ratio, cost fit and table measured: [bench/results/latest.md](../bench/results/latest.md).
The partitioned dumps' ratios per K are charted in [design.md](design.md#partitioned-dumps).
How to run single suites: [bench/README.md](../bench/README.md).
`;
}

/** Writes docs/benchmark.md at `url`. */
export function writeBenchmarkDoc(url, results) {
  writeFileSync(url, renderBenchmarkDoc(results));
}

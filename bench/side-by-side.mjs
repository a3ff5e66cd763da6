#!/usr/bin/env node
// What running two partitions at once costs on this machine. The same two halves of a combined
// dump (split at the median local port; C, bench/floor/nl_parts.c) are timed alone, at once on
// two threads of one process (as sockscope runs its partitions), and at once in two processes;
// two whole dumps likewise. Each N in a fresh network namespace filled by the fixture (root and
// `unshare -n`); rounds alternate the three ways, so drift in the VM's speed hits them alike.
//
//   node bench/side-by-side.mjs [--n 100000] [--rounds 6]
// Prints one JSON line per N: per way, the median over rounds of each half's ms.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { buildFloorProgram } from './floor/build.mjs';
import { startFixture } from './fixture/index.mjs';
import { canUnshare, runInNewNamespace } from './lib/namespace.mjs';
import { waitForQuietKernel } from './lib/slab.mjs';
import { quantile } from './lib/stats.mjs';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '6' }, inner: { type: 'string' } } });
const run = promisify(execFile);
const REPS = '3';

async function parts(binary, cut, how) {
  const cutArgs = cut < 0 ? [] : ['--cut', String(cut)];
  const one = async (args) => JSON.parse((await run(binary, [...cutArgs, '--reps', REPS, ...args])).stdout);
  if (how !== 'processes') return one([how]);
  const [a, b] = await Promise.all([one(['half', '0']), one(['half', '1'])]);
  return { medianMs: [a.medianMs[0], b.medianMs[1]], rows: [a.rows[0], b.rows[1]] };
}

async function inner(n, rounds) {
  const binary = buildFloorProgram('nl_parts');
  const lib = await import('../dist/index.js');
  const fixture = await startFixture({ n });
  try {
    const ports = Float64Array.from(lib.snapshotSync().columns.localPort).sort();
    const cut = ports[ports.length >> 1];
    const ways = ['alone', 'threads', 'processes'];
    const out = { halves: {}, whole: {} };
    const ms = { halves: {}, whole: {} };
    let rows;
    for (let r = 0; r < rounds; r++) {
      for (const [what, c] of [['halves', cut], ['whole', -1]]) {
        for (const how of ways) {
          const res = await parts(binary, c, how);
          (ms[what][how] ??= [[], []]).forEach((xs, i) => xs.push(res.medianMs[i]));
          if (what === 'halves') rows = res.rows;
        }
      }
    }
    for (const what of ['halves', 'whole'])
      for (const how of ways) out[what][how] = ms[what][how].map((xs) => Number(quantile(xs, 0.5).toFixed(1)));
    console.log(JSON.stringify({ n, date: new Date().toISOString(), cut, rows, rounds, ...out }));
  } finally {
    await fixture.stop();
  }
}

if (values.inner) await inner(Number(values.inner), Number(values.rounds));
else {
  if (!canUnshare()) throw new Error('needs root and unshare -n: the fixture opens N sockets in a namespace of its own');
  for (const n of values.n.split(',').map(Number)) {
    await waitForQuietKernel({ log: (m) => console.error(m) });
    const code = await runInNewNamespace([fileURLToPath(import.meta.url), '--inner', String(n), '--rounds', values.rounds]);
    if (code !== 0) process.exit(code);
  }
}

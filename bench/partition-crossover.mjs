// Where partitioned dumps start to pay: times countStatesSync and snapshotSync with one dump
// (partitions: 1) against K = 2 .. cores (forced) at growing table sizes, in a fresh network
// namespace per size filled by the fixture. The smallest size where K = 2 wins both is the
// `auto` threshold (kPartitionMinRows in native/partitioned_reader.h).
//
//   node bench/partition-crossover.mjs [--n 500,1000,2000,4000,8000,16000] [--reps 200]
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startFixture } from './fixture/index.mjs';
import { runInNewNamespace } from './lib/namespace.mjs';

const { values } = parseArgs({ options: { n: { type: 'string', default: '500,1000,2000,4000,8000,16000' }, reps: { type: 'string', default: '200' }, inner: { type: 'boolean', default: false } } });

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// Alternates the contenders rep by rep, so drift (TIME_WAIT top-ups, other load) hits all alike.
function time(fns, reps) {
  const samples = fns.map(() => []);
  for (let r = 0; r < reps; r++) {
    fns.forEach((f, i) => {
      const t = process.hrtime.bigint();
      f();
      samples[i].push(Number(process.hrtime.bigint() - t) / 1e6);
    });
  }
  return samples.map(median);
}

async function measure(n, reps) {
  const lib = await import('../dist/index.js');
  const fixture = await startFixture({ n });
  try {
    const ks = [1, ...Array.from({ length: availableParallelism() - 1 }, (_, i) => i + 2)];
    for (const k of ks) lib.countStatesSync({ partitions: k });  // learn the split first
    const count = time(ks.map((k) => () => lib.countStatesSync({ partitions: k })), reps);
    const table = time(ks.map((k) => () => lib.snapshotSync({ partitions: k })), reps);
    const rows = lib.countStatesSync({ partitions: 1 }).total;
    console.log(JSON.stringify({ n, rows, ks, countMs: count.map((x) => +x.toFixed(3)), tableMs: table.map((x) => +x.toFixed(3)) }));
  } finally {
    await fixture.stop();
  }
}

if (values.inner) {
  for (const n of values.n.split(',').map(Number)) await measure(n, Number(values.reps));
} else {
  process.exit(await runInNewNamespace([fileURLToPath(import.meta.url), '--inner', '--n', values.n, '--reps', values.reps]));
}

#!/usr/bin/env node
// The costs docs/design.md explains around a large table, each in a fresh network namespace per N
// filled by the fixture (root and `unshare -n`):
//   sync-loop     snapshotSync in a loop that never yields, against one that awaits setImmediate
//                 between reads and against async snapshot(): median ms and minor faults per read
//                 (a table's memory is reused only once the event loop has run its finalizers);
//   listen-split  a LISTEN-only count and table with one dump against two, and listenQueuesSync;
//   gc-busy       the event loop's busy time during async snapshot() and countStates(), and how
//                 much of it V8's garbage collector took (PerformanceObserver 'gc' entries).
//
//   node bench/table-costs.mjs [--n 100000,300000] [--only sync-loop,listen-split,gc-busy]
// Prints one JSON line per N and part.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startFixture } from './fixture/index.mjs';
import { busyPerCallMs } from './lib/loop-probe.mjs';
import { canUnshare, runInNewNamespace } from './lib/namespace.mjs';
import { waitForQuietKernel } from './lib/slab.mjs';
import { quantile } from './lib/stats.mjs';

const PARTS = ['sync-loop', 'listen-split', 'gc-busy'];
const { values } = parseArgs({
  options: { n: { type: 'string', default: '100000,300000' }, only: { type: 'string', default: PARTS.join(',') }, inner: { type: 'string' } },
});
const round2 = (x) => Number(x.toFixed(2));
const median = (xs) => round2(quantile(xs, 0.5));

/** ms and minor page faults of each of `reads` calls of `read` (awaited when it returns a promise). */
async function perRead(read, reads, between) {
  const ms = [];
  const faults = [];
  for (let i = 0; i < reads; i++) {
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = performance.now();
    await read();
    ms.push(performance.now() - t0);
    faults.push(process.resourceUsage().minorPageFault - f0);
    if (between) await between();
  }
  return { ms, faults };
}

// Four blocks of each loop, alternated, so drift in the VM's speed hits all three alike.
async function syncLoop(lib) {
  const blocks = 4;
  const per = 50;
  const out = { tight: { ms: [], faults: [] }, yielding: { ms: [], faults: [] }, async: { ms: [], faults: [] } };
  const add = (name, r) => (out[name].ms.push(...r.ms), out[name].faults.push(...r.faults));
  for (let b = 0; b < blocks; b++) {
    // Awaiting a sync call only queues a microtask: the event loop does not turn between reads.
    add('tight', await perRead(() => lib.snapshotSync(), per));
    await yieldLoop(); // the tight block's tables go back before the next block
    add('yielding', await perRead(() => lib.snapshotSync(), per, () => yieldLoop()));
    add('async', await perRead(() => lib.snapshot(), per));
  }
  const summary = (r) => ({ medianMs: median(r.ms), p90Ms: round2(quantile(r.ms, 0.9)), meanFaults: round2(r.faults.reduce((a, x) => a + x, 0) / r.faults.length) });
  return { reads: blocks * per, tight: summary(out.tight), yielding: summary(out.yielding), async: summary(out.async) };
}

// Rep by rep, so all of them see the same drift, yielding after each read so that its table's
// memory is reused (as a caller's would be) and a dump is timed, not a fresh page.
async function listenSplit(lib) {
  const listen = { states: ['LISTEN'] };
  const fns = {
    countK1: () => lib.countStatesSync({ ...listen, partitions: 1 }),
    countK2: () => lib.countStatesSync({ ...listen, partitions: 2 }),
    tableK1: () => lib.snapshotSync({ ...listen, partitions: 1 }),
    tableK2: () => lib.snapshotSync({ ...listen, partitions: 2 }),
    listenQueuesSync: () => lib.listenQueuesSync(),
    listenQueues: () => lib.listenQueues(),
    countAsyncK1: () => lib.countStates({ ...listen, partitions: 1 }),
  };
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < 200; r++) {
    for (const [k, f] of Object.entries(fns)) {
      const t0 = performance.now();
      await f();
      samples[k].push(performance.now() - t0);
      await yieldLoop();
    }
  }
  return { listeners: lib.countStatesSync(listen).LISTEN, reps: 200, medianMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) };
}

/** Per call of `run`: the loop's busy ms, and the ms of GC entries that started during it. */
async function busyAndGc(run, calls) {
  const gcs = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const windows = [];
  const busy = await busyPerCallMs(async () => {
    const start = performance.now();
    await run();
    windows.push([start, performance.now()]);
  }, calls);
  await yieldLoop(); // the observer's last entries
  observer.disconnect();
  const gcMs = windows.map(([s, e]) => gcs.filter((g) => g.startTime >= s && g.startTime < e).reduce((a, g) => a + g.duration, 0));
  const quiet = busy.filter((_, i) => gcMs[i] === 0);
  const withGc = gcMs.filter((g) => g > 0);
  return {
    calls,
    busyMedianMs: median(busy),
    callsWithGc: withGc.length,
    gcMsRange: withGc.length ? [round2(Math.min(...withGc)), round2(Math.max(...withGc))] : null,
    busyMedianWithoutGcMs: quiet.length ? median(quiet) : null,
  };
}

async function gcBusy(lib) {
  for (let i = 0; i < 5; i++) await lib.snapshot(); // warm-up: the JIT, the region cache
  return { snapshot: await busyAndGc(() => lib.snapshot(), 40), countStates: await busyAndGc(() => lib.countStates(), 40) };
}

async function inner(n, parts) {
  const lib = await import('../dist/index.js');
  const fixture = await startFixture({ n });
  try {
    lib.snapshotSync(); // loads the addon, learns the split
    const run = { 'sync-loop': syncLoop, 'listen-split': listenSplit, 'gc-busy': gcBusy };
    for (const part of parts) console.log(JSON.stringify({ n, part, date: new Date().toISOString(), ...(await run[part](lib)) }));
  } finally {
    await fixture.stop();
  }
}

const parts = values.only.split(',');
const unknown = parts.filter((p) => !PARTS.includes(p));
if (unknown.length) throw new Error(`unknown --only ${unknown.join(',')} (have ${PARTS.join(', ')})`);
if (values.inner) await inner(Number(values.inner), parts);
else {
  if (!canUnshare()) throw new Error('needs root and unshare -n: the fixture opens N sockets in a namespace of its own');
  for (const n of values.n.split(',').map(Number)) {
    await waitForQuietKernel({ log: (m) => console.error(m) });
    const code = await runInNewNamespace([fileURLToPath(import.meta.url), '--inner', String(n), '--only', parts.join(',')]);
    if (code !== 0) process.exit(code);
  }
}

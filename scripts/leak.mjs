// `npm run test:leak`: memory stays flat over 10,000 reads of every kind, then valgrind finds no
// definite leak and no invalid access in sockscope's code over a shorter run of the same reads.
// Options: --iterations N (10,000), --under-valgrind (internal: the reads only, no bounds).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { countStates, countStatesSync, snapshot, snapshotSync } from '../dist/index.js';
import { ROOT, run } from './common.mjs';

const argv = process.argv;
const underValgrind = argv.includes('--under-valgrind');
const iterations = Number(argv[argv.indexOf('--iterations') + 1]) || (underValgrind ? 200 : 10_000);
// Growth allowed from before to after the loop (both after GC), once warm. The
// RSS bound, ~420 bytes a read, is under one leaked table (14 columns, ~66 bytes a row: ~5 KB for
// the recorded tables read here) and far under a leaked 1 MiB read buffer; V8's heap and malloc
// settle within it once warm. Smaller leaks (an error's strings) are valgrind's to find.
const RSS_BOUND = 4 << 20;
const EXTERNAL_BOUND = 64 << 10;

const all = ['tcp', 'tcp6', 'udp', 'udp6'];
const recorded = { procRoot: path.join(ROOT, 'test/fixtures/proc/recorded'), protocols: all };
const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-leak-'));
fs.writeFileSync(path.join(bad, 'tcp'), fs.readFileSync(path.join(recorded.procRoot, 'tcp'), 'latin1').replace(/ 0A /g, ' 1F '));
const malformed = { procRoot: bad, protocols: ['tcp'] };
const missing = { procRoot: path.join(bad, 'missing'), protocols: ['tcp'] };
const failing = (read) => (o) => read(o).then(() => { throw new Error('expected the read to fail'); }, () => {});
const later = (fn) => async (o) => fn(o);

// Every kind of read: [name, read, options]. The netlink kinds read the live table (this
// process's own listener and connection, in a private namespace when run by the suite).
const netlink = { source: 'netlink', protocols: ['tcp', 'tcp6', 'udp', 'udp6'] };
const rich = { ...netlink, info: true, memory: true };
const filtered = { ...netlink, localPort: [[1, 1024], 8080] };
const KINDS = [
  ['snapshotSync netlink', later(snapshotSync), netlink],
  ['snapshot netlink', snapshot, netlink],
  ['snapshotSync +info+mem', later(snapshotSync), rich],
  ['snapshot +info+mem', snapshot, rich],
  ['snapshot port filter', snapshot, filtered],
  ['countStatesSync netlink', later(countStatesSync), netlink],
  ['countStates netlink', countStates, netlink],
  ['snapshotSync', later(snapshotSync), recorded],
  ['snapshot', snapshot, recorded],
  ['countStatesSync', later(countStatesSync), recorded],
  ['countStates', countStates, recorded],
  ['snapshotSync, bad state', failing(later(snapshotSync)), malformed],
  ['snapshot, bad state', failing(snapshot), malformed],
  ['countStatesSync, missing file', failing(later(countStatesSync)), missing],
  ['countStates, missing file', failing(countStates), missing],
];

async function settle() {
  // Twice: the first collection queues the ArrayBuffers' finalizers, which free the columns.
  for (let i = 0; i < 2; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  const { rss, external, arrayBuffers } = process.memoryUsage();
  return { rss, external, arrayBuffers };
}

// Node-API runs the columns' finalizers from the event loop, so the loop yields to it every
// 100 reads, as a service between requests does; a loop that never yields holds every table.
async function reads(n, read, options) {
  for (let i = 0; i < n; i++) {
    await read(options);
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
}

const mib = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;
let failed = false;
// Warm-up: every kind as many times first, until V8's heap and malloc's arenas have their size.
for (const [, read, options] of KINDS) await reads(iterations, read, options);
// One round of a kind: how much each figure grew over `iterations` reads.
async function growth(read, options) {
  const before = await settle();
  await reads(iterations, read, options);
  const after = await settle();
  return { before, after, grew: Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])) };
}
const within = (g) => g.rss <= RSS_BOUND && g.external <= EXTERNAL_BOUND && g.arrayBuffers <= EXTERNAL_BOUND;

for (const [name, read, options] of KINDS) {
  let { before, after, grew } = await growth(read, options);
  if (underValgrind) continue;
  // malloc's arenas sometimes settle one step up when the kind of read changes; a leak grows again
  // on a second round, a settling does not.
  if (!within(grew)) ({ before, after, grew } = await growth(read, options));
  const ok = within(grew);
  failed ||= !ok;
  console.log(`${name.padEnd(30)} ${iterations} reads: rss ${mib(before.rss)} -> ${mib(after.rss)}, ` +
    `external ${before.external} -> ${after.external} B, arrayBuffers ${before.arrayBuffers} -> ${after.arrayBuffers} B` +
    (ok ? '' : `  GREW past the bounds (rss ${mib(RSS_BOUND)}, external ${EXTERNAL_BOUND} B)`));
}
fs.rmSync(bad, { recursive: true });
if (underValgrind) process.exit(0);
if (failed) process.exit(1);

// Valgrind: node and V8 keep memory to the end by design, so only what sockscope's code allocated
// counts: a definite leak, or an invalid access, with sockscope.node on its stack.
run('sh', ['scripts/need-tools.sh', 'valgrind']);
const log = path.join(os.tmpdir(), `sockscope-valgrind-${process.pid}.log`);
const vg = spawnSync('valgrind', ['--leak-check=full', '--show-leak-kinds=definite', '--num-callers=50',
  `--suppressions=${path.join(ROOT, 'scripts/valgrind-node.supp')}`, `--log-file=${log}`, process.execPath, '--expose-gc', import.meta.filename, '--under-valgrind'], { stdio: 'inherit' });
if (vg.error || vg.status !== 0) throw vg.error ?? new Error(`valgrind exited with ${vg.status}`);
const text = fs.readFileSync(log, 'utf8');
const records = text.split(/\n==\d+== \n/).filter((r) => /sockscope\.node|proc_reader|netlink_|reader\.cc|addon\.cc/.test(r));
console.log(text.split('\n').filter((l) => /definitely lost|indirectly lost|ERROR SUMMARY/.test(l)).join('\n'));
console.log(`valgrind: ${records.length} leak or error records in sockscope code (log ${log})`);
if (records.length) {
  console.log(records.join('\n\n'));
  process.exit(1);
}

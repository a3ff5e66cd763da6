// A container's limits, made with real cgroups: under a pids limit that refuses new threads,
// reads go on with fewer threads (/proc without its read-ahead, netlink with fewer partitions,
// down to the single dump, another namespace joined by the calling thread); under a CPU quota,
// `auto` makes no more partitions than it grants.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { HAS_NETNS, ROOT, startInNetns } from '../helpers/netns.js';
import { HEADER, listenLine, procDir } from '../helpers/proc-dir.js';

// Where this test may make a cgroup of `controller`: v1's own hierarchy, or v2's when it has the
// controller for its children.
function cgroupRoot(controller: 'pids' | 'cpu', v1File: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const v1 = `/sys/fs/cgroup/${controller}`;
  if (fs.existsSync(path.join(v1, v1File))) return v1;
  const control = '/sys/fs/cgroup/cgroup.subtree_control';
  return fs.existsSync(control) && fs.readFileSync(control, 'utf8').split(/\s+/).includes(controller) ? '/sys/fs/cgroup' : undefined;
}

// A child in its own namespace, so its table holds only its own sockets. It opens a listener and
// `conns` connections, starts the threadpool, moves itself into `cgroup` and caps it at the
// threads it has plus `spare`, then reports each read, and how many thread starts were refused.
const CHILD = `
import fs from 'node:fs';
import net from 'node:net';
const s = await import('sockscope');
const [cgroup, procRoot, other] = process.argv.slice(1);
const file = (f) => path(cgroup, f);
function path(d, f) { return d + '/' + f; }
const refused = () => Number(/max (\\d+)/.exec(fs.readFileSync(file('pids.events'), 'utf8'))[1]);
const limit = (spare) => fs.writeFileSync(file('pids.max'), String(Number(fs.readFileSync(file('pids.current'), 'utf8')) + spare));
const rows = (t) => t.toArray().map((r) => [r.state, r.localPort, r.remotePort].join(' ')).sort();
(async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const sockets = await Promise.all(Array.from({ length: 50 }, () => new Promise((r) => {
    const c = net.connect(server.address().port, '127.0.0.1', () => r(c));
  })));
  const opts = { protocols: ['tcp', 'tcp6'] };
  const single = rows(s.snapshotSync({ ...opts, partitions: 1 }));
  const otherListeners = rows(s.snapshotSync({ netns: other, states: ['LISTEN'] }));
  await s.countStates({ procRoot, protocols: ['tcp'] });  // the threadpool's threads exist before the cap
  fs.writeFileSync(file('cgroup.procs'), String(process.pid));
  const out = { single, otherListeners };
  limit(0);
  let before = refused();
  out.proc = [s.snapshotSync({ procRoot, protocols: ['tcp'] }).length, (await s.snapshot({ procRoot, protocols: ['tcp'] })).length];
  out.procRefused = refused() - before;
  before = refused();
  const none = s.snapshotSync({ ...opts, partitions: 2 });
  out.none = { rows: rows(none), partitions: none.dump.partitions, counts: s.countStatesSync({ ...opts, partitions: 2 }) };
  out.noneRefused = refused() - before;
  limit(2);
  before = refused();
  const two = await s.snapshot({ ...opts, partitions: 4 });
  out.two = { rows: rows(two), partitions: two.dump.partitions };
  out.twoRefused = refused() - before;
  out.countsSingle = s.countStatesSync({ ...opts, partitions: 1 });
  // Another namespace joined on the calling thread, sync and on the threadpool; then
  // every thread must be back in this one.
  limit(0);
  before = refused();
  out.other = [rows(s.snapshotSync({ netns: other, states: ['LISTEN'] }))];
  for (const t of await Promise.all(Array.from({ length: 8 }, () => s.snapshot({ netns: other, states: ['LISTEN'] })))) out.other.push(rows(t));
  out.otherRefused = refused() - before;
  out.back = [rows(s.snapshotSync(opts)), ...(await Promise.all(Array.from({ length: 8 }, () => s.snapshot(opts)))).map(rows)];
  console.log(JSON.stringify(out));
  sockets.forEach((c) => c.destroy());
  server.close();
})();
`;

// The other namespace: three listeners, their ports printed, up until stdin ends.
const OTHER = `
const net = require('net');
const servers = [0, 1, 2].map(() => net.createServer().listen(0, '127.0.0.1'));
Promise.all(servers.map((s) => new Promise((r) => s.once('listening', r)))).then(() => {
  console.log(JSON.stringify(servers.map((s) => s.address().port)));
  process.stdin.resume().on('end', () => servers.forEach((s) => s.close()));
});
`;

/** Runs the ES module `script` (argv: `args`) with node in a namespace of its own, from the project root. */
function inNetns(script: string, args: string[]): string {
  return execFileSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, '--input-type=module', '-e', script, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000,
  });
}

const root = cgroupRoot('pids', 'tasks'); // v1's root cgroup has no pids.max of its own
const why = !root ? 'no writable pids cgroup (needs root and the pids controller)' : !HAS_NETNS ? 'no private network namespaces' : '';

describe.skipIf(why)('a pids limit that refuses new threads', () => {
  it('reads /proc without the read-ahead thread, netlink with fewer partitions and another namespace, with the same rows', async () => {
    // 60,000 rows: large enough for the read-ahead (50,000) by the file's size alone.
    const big = procDir({ tcp: HEADER + Array.from({ length: 60_000 }, (_, i) => listenLine(i, 1024 + (i % 60_000), i + 1)).join('') });
    const cgroup = fs.mkdtempSync(path.join(root!, 'sockscope-test-'));
    const other = await startInNetns<number[]>([process.execPath, '-e', OTHER]);
    try {
      const out = JSON.parse(inNetns(CHILD, [cgroup, big, `/proc/${other.pid}/ns/net`]));
      expect(out.proc).toEqual([60_000, 60_000]);
      expect(out.procRefused).toBeGreaterThan(0); // the read-ahead thread was refused, and the reads went on
      expect(out.single).toHaveLength(101); // the listener and 50 connections, both ends
      expect(out.none.partitions).toBe(1);
      expect(out.none.rows).toEqual(out.single);
      expect(out.none.counts).toEqual(out.countsSingle);
      expect(out.noneRefused).toBeGreaterThan(0);
      expect(out.two.partitions).toBe(2); // two threads started, the third refused
      expect(out.two.rows).toEqual(out.single);
      expect(out.twoRefused).toBeGreaterThan(0);
      // No thread for the namespace read: the calling thread went, read the other namespace's listeners and came back.
      expect(out.otherRefused).toBeGreaterThan(0);
      for (const other of out.other) expect(other).toEqual(out.otherListeners);
      expect(out.otherListeners).toEqual(other.made.map((port) => `LISTEN ${port} 0`).sort());
      for (const back of out.back) expect(back).toEqual(out.single);
    } finally {
      await other.stop();
      // The child has exited, so the cgroup is empty and can go.
      fs.rmdirSync(cgroup);
    }
  });
});

if (why) console.warn(`cgroup-limits: pids: skipped: ${why}`);

// Joins `cgroup` (when given) before the library loads, opens 4500 connections, reads twice
// (the second read's `auto` knows the table's size) and prints how many partitions it ran.
const QUOTA_CHILD = `
import fs from 'node:fs';
import net from 'node:net';
const cgroup = process.argv[1];
if (cgroup) fs.writeFileSync(cgroup + '/cgroup.procs', String(process.pid));
const s = await import('sockscope');
(async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const sockets = [];
  for (let i = 0; i < 4500; i += 500) {
    sockets.push(...(await Promise.all(Array.from({ length: 500 }, () => new Promise((r) => {
      const c = net.connect(server.address().port, '127.0.0.1', () => r(c));
    })))));
  }
  const first = await s.snapshot();
  const second = await s.snapshot();
  console.log(JSON.stringify({ rows: second.length, first: first.dump.partitions, second: second.dump.partitions }));
  sockets.forEach((c) => c.destroy());
  server.close();
})();
`;

const cpuRoot = cgroupRoot('cpu', 'cpu.cfs_quota_us');
const whyCpu = !cpuRoot ? 'no writable cpu cgroup (needs root and the cpu controller)' : !HAS_NETNS ? 'no private network namespaces' : '';

describe.skipIf(whyCpu)('a CPU quota', () => {
  it('caps the partitions of `auto` at the CPUs the cgroup grants', () => {
    const cgroup = fs.mkdtempSync(path.join(cpuRoot!, 'sockscope-test-'));
    try {
      if (fs.existsSync(path.join(cgroup, 'cpu.cfs_quota_us'))) {
        fs.writeFileSync(path.join(cgroup, 'cpu.cfs_period_us'), '100000');
        fs.writeFileSync(path.join(cgroup, 'cpu.cfs_quota_us'), '100000');
      } else {
        fs.writeFileSync(path.join(cgroup, 'cpu.max'), '100000 100000');
      }
      const capped = JSON.parse(inNetns(QUOTA_CHILD, [cgroup]));
      const free = JSON.parse(inNetns(QUOTA_CHILD, ['']));
      expect(capped.rows).toBeGreaterThanOrEqual(9001); // the listener and 4500 connections, both ends
      expect(capped.second).toBe(1);
      const cores = Math.min(availableParallelism(), 4);
      expect(free.second).toBe(cores); // the same read outside the quota: K = the cores
      if (cores < 2) console.warn('cgroup-limits: one core only: the quota cannot be told from the core count here');
    } finally {
      fs.rmdirSync(cgroup);
    }
  });
});

if (whyCpu) console.warn(`cgroup-limits: cpu: skipped: ${whyCpu}`);

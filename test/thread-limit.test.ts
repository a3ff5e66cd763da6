// Under a pids limit that refuses new threads (a container's pids.max), reads go on with fewer
// threads: /proc without its read-ahead, netlink with fewer partitions, down to the single dump.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { HAS_NETNS, ROOT } from './helpers/netns.js';
import { HEADER, listenLine, procDir } from './helpers/proc-dir.js';

// A pids cgroup this test may make: v1's own hierarchy, or v2's when it has the controller.
function pidsRoot(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const dir of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup']) {
    const v1 = fs.existsSync(path.join(dir, 'pids.max')) || fs.existsSync(path.join(dir, 'tasks'));
    const v2 = fs.existsSync(path.join(dir, 'cgroup.subtree_control')) && fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').includes('pids');
    if ((dir.endsWith('/pids') && v1) || v2) return dir;
  }
  return undefined;
}

// A child in its own namespace, so its table holds only its own sockets. It opens a listener and
// `conns` connections, starts the threadpool, moves itself into `cgroup` and caps it at the
// threads it has plus `spare`, then reports each read, and how many thread starts were refused.
const CHILD = `
const s = require(process.argv[1] + '/dist/index.js');
const fs = require('fs'), net = require('net');
const [cgroup, procRoot] = [process.argv[2], process.argv[3]];
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
  await s.countStates({ procRoot, protocols: ['tcp'] });  // the threadpool's threads exist before the cap
  fs.writeFileSync(file('cgroup.procs'), String(process.pid));
  const out = { single };
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
  console.log(JSON.stringify(out));
  sockets.forEach((c) => c.destroy());
  server.close();
})();
`;

const root = pidsRoot();
const why = !root ? 'no writable pids cgroup (needs root and the pids controller)' : !HAS_NETNS ? 'no private network namespaces' : '';

describe.skipIf(why)('a pids limit that refuses new threads', () => {
  it('reads /proc without the read-ahead thread, and netlink with fewer partitions, with the same rows', () => {
    // 60,000 rows: large enough for the read-ahead (50,000) by the file's size alone.
    const big = procDir({ tcp: HEADER + Array.from({ length: 60_000 }, (_, i) => listenLine(i, 1024 + (i % 60_000), i + 1)).join('') });
    const cgroup = fs.mkdtempSync(path.join(root!, 'sockscope-test-'));
    try {
      const text = execFileSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, '-e', CHILD, ROOT, cgroup, big], {
        encoding: 'utf8', timeout: 60_000,
      });
      const out = JSON.parse(text);
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
    } finally {
      // The child has exited, so the cgroup is empty and can go.
      fs.rmdirSync(cgroup);
    }
  });
});

if (why) console.warn(`thread-limit: skipped: ${why}`);

// Socket owners in a namespace holding every TCP state, equal to ss -tanp's; and, as an
// unprivileged user, the processes of others skipped and counted, never fatal.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { snapshotSync } from '../../src/index.js';
import { ALL_STATES, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { rowKey, ssOwners } from '../helpers/peers.js';

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'owners of every TCP state in a namespace (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<unknown>;
    beforeAll(async () => {
      fx = await startInNetns(ALL_STATES);
    });
    afterAll(() => fx?.stop());

    it('equals ss -tanp socket by socket; TIME_WAIT and SYN_RECV sockets have none', () => {
      const table = snapshotSync({ procRoot: `/proc/${fx.pid}/net`, processes: true });
      const ss = ssOwners(fx.exec('ss', ['-tanpH']));
      expect(table.length).toBe(ss.size);
      for (const row of table) {
        const k = rowKey(row);
        expect(row.owners, k).toEqual(ss.get(k));
        if (row.state === 'TIME_WAIT' || row.state === 'SYN_RECV') expect(row.inode, k).toBe(0);
        // No file, no owner: TIME_WAIT, request sockets, and connections not yet accept()ed.
        expect(row.owners!.map((o) => [o.pid, o.command]), k).toEqual(row.inode === 0 ? [] : [[fx.pid, 'python3']]);
      }
    });
  },
);

describe('process scan as an unprivileged user', () => {
  it.skipIf(process.getuid?.() !== 0 || !hasCommand('setpriv'))('as an unprivileged user, skips the processes of others and still finds its own', () => {
    const script = `
      const net = require('node:net');
      const s = net.createServer().listen(0, '127.0.0.1', async () => {
        const { snapshotSync } = await import('sockscope');
        const t = snapshotSync({ processes: true });
        const mine = t.toArray().find((r) => r.localPort === s.address().port);
        console.log(JSON.stringify({ scan: t.processScan, owners: mine.owners.map((o) => o.pid), pid: process.pid }));
        s.close();
      });`;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { scan, owners, pid } = JSON.parse(r.stdout);
    expect(owners).toEqual([pid]);
    expect(scan.skipped).toBeGreaterThan(0); // at least this test's own process, root's
    expect(scan.scanned).toBeGreaterThanOrEqual(1);
  });
});

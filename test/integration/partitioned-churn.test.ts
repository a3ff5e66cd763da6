// Partitioned dumps while sockets come and go in another process: totals stay within the churn
// of a single dump, and no socket is counted twice (cookies are unique in the merged table).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { snapshot, snapshotSync, type SocketTable } from '../../src/index.js';
import { netlinkReady } from '../helpers/netlink.js';

const BASE = 3000;  // connections held open all along
// The churner: BASE connections held, then a loop that opens and resets 100 more every tick.
const CHURN = `
const net = require('node:net');
const server = net.createServer((c) => c.on('error', () => {})).listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const open = () => new Promise((r) => { const s = net.connect(port, '127.0.0.1', () => r(s)); s.on('error', () => r(s)); });
  for (let i = 0; i < ${BASE}; i++) await open();
  process.stdout.write(port + '\\n');
  for (;;) {
    const batch = await Promise.all(Array.from({ length: 100 }, open));
    for (const s of batch) s.resetAndDestroy();
  }
});`;

const mine = (t: SocketTable, port: number) => {
  let n = 0;
  for (let i = 0; i < t.length; i++) if (t.columns.localPort[i] === port || t.columns.remotePort[i] === port) n++;
  return n;
};

describe.skipIf(!netlinkReady)('partitioned dumps under churn', () => {
  let child: ChildProcess;
  let port: number;
  beforeAll(async () => {
    child = spawn(process.execPath, ['-e', CHURN], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    port = Number(chunk.toString().trim());
  }, 60_000);
  afterAll(() => child?.kill());

  it('no duplicate cookies, totals within the churn, K = 2 and 3', async () => {
    const seen = new Set<bigint>();
    for (let round = 0; round < 20; round++) {
      const k = 2 + (round % 2);
      const single = snapshotSync({ cookie: true, partitions: 1 });
      const split = round % 4 < 2 ? snapshotSync({ cookie: true, partitions: k }) : await snapshot({ cookie: true, partitions: k });
      expect(split.dump!.partitions).toBe(k);
      expect(new Set(split.columns.cookie).size).toBe(split.length);
      // 2 * BASE + the listener are always there; at most a few batches of 100 pairs come and go.
      for (const t of [single, split]) {
        expect(mine(t, port)).toBeGreaterThanOrEqual(2 * BASE + 1);
        expect(mine(t, port)).toBeLessThanOrEqual(2 * BASE + 1 + 1000);
      }
      expect(Math.abs(split.length - single.length)).toBeLessThanOrEqual(1000);
      for (const c of split.columns.cookie!) seen.add(c);
      await new Promise((r) => setTimeout(r, 10));  // let the churner run between rounds too
    }
    expect(seen.size, 'sockets came and went during the reads').toBeGreaterThan(2 * BASE + 1 + 100);
  });
});

// Each worker thread has its own partition threads (addon instance data): split reads in four
// workers at once beside the main thread are all right, and every worker exits cleanly, its
// threads joined (a thread left running would keep the exit from completing).
import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { countStatesSync, snapshotSync } from '../dist/index.js';
import { netlinkReady } from './helpers/netlink.js';
import { connectedPair } from './helpers/sockets.js';

const index = path.join(__dirname, '../dist/index.js');
const source = `
  const { workerData, parentPort } = require('node:worker_threads');
  import(workerData.index).then(async (m) => {
    const ok = [];
    for (let i = 0; i < 20; i++) {
      const [t, c] = await Promise.all([m.snapshot({ cookie: true, partitions: 2 }), m.countStates({ partitions: 3 })]);
      const s = m.snapshotSync({ cookie: true, partitions: 2 });
      // t and c run at once: one of them may find the threads busy and take the single dump.
      ok.push([1, 2].includes(t.dump.partitions) && s.dump.partitions === 2 && c.LISTEN >= 1 &&
        new Set(t.columns.cookie).size === t.length &&
        t.toArray().some((r) => r.localPort === workerData.port && r.state === 'LISTEN'));
    }
    parentPort.postMessage(ok.every(Boolean));
  });
`;

describe.skipIf(!netlinkReady)('partitioned reads in worker threads', () => {
  it('four workers split their reads at once, then exit with their threads joined', async () => {
    const pair = await connectedPair();
    const port = pair.client.remotePort!;
    try {
      const workers = Array.from({ length: 4 }, () => new Worker(source, { eval: true, workerData: { index, port } }));
      const answers = workers.map((w) => once(w, 'message'));
      const exits = workers.map((w) => once(w, 'exit'));
      for (let i = 0; i < 20; i++) {
        expect(snapshotSync({ cookie: true, partitions: 2 }).toArray().some((r) => r.localPort === port)).toBe(true);
        expect(countStatesSync({ partitions: 2 }).LISTEN).toBeGreaterThanOrEqual(1);
      }
      expect((await Promise.all(answers)).map(([ok]) => ok)).toEqual([true, true, true, true]);
      expect((await Promise.all(exits)).map(([c]) => c)).toEqual([0, 0, 0, 0]);
    } finally {
      await pair.close();
    }
  });
});

// Each worker thread has its own partition threads (addon instance data): split reads in four
// workers at once beside the main thread are all right, and every worker exits cleanly, its
// threads joined (a thread left running would keep the exit from completing).
import { describe, expect, it } from 'vitest';

import { countStatesSync, snapshotSync } from '../../src/index.js';
import { netlinkReady } from '../helpers/netlink.js';
import { connectedPair } from '../helpers/sockets.js';
import { startWorkers } from '../helpers/workers.js';

/** In each worker: 20 rounds of split reads, async and sync, each finding the test's listener once. */
const SPLIT_READS = `
  const ok = [];
  for (let i = 0; i < 20; i++) {
    const [t, c] = await Promise.all([m.snapshot({ cookie: true, partitions: 2 }), m.countStates({ partitions: 3 })]);
    const s = m.snapshotSync({ cookie: true, partitions: 2 });
    // t and c run at once: one of them may find the threads busy and take the single dump.
    ok.push([1, 2].includes(t.dump.partitions) && s.dump.partitions === 2 && c.LISTEN >= 1 &&
      new Set(t.columns.cookie).size === t.length &&
      t.toArray().some((r) => r.localPort === data.port && r.state === 'LISTEN'));
  }
  return ok.every(Boolean);
`;

describe.skipIf(!netlinkReady)('partitioned reads in worker threads', () => {
  it('four workers split their reads at once, then exit with their threads joined', async () => {
    const pair = await connectedPair();
    const port = pair.client.remotePort!;
    try {
      const workers = startWorkers<boolean>(4, SPLIT_READS, { port });
      for (let i = 0; i < 20; i++) {
        expect(snapshotSync({ cookie: true, partitions: 2 }).toArray().some((r) => r.localPort === port)).toBe(true);
        expect(countStatesSync({ partitions: 2 }).LISTEN).toBeGreaterThanOrEqual(1);
      }
      expect(await workers.answers).toEqual([true, true, true, true]);
      expect(await workers.exitCodes).toEqual([0, 0, 0, 0]);
    } finally {
      await pair.close();
    }
  });
});

// The addon in worker_threads: four at once beside the main thread, each correct, each unloading.
import { describe, expect, it } from 'vitest';

import { countStatesSync, snapshotSync } from '../../src/index.js';
import { connectedPair } from '../helpers/sockets.js';
import { startWorkers } from '../helpers/workers.js';

/** In each worker: 20 reads at once, table and counts, each finding the test's listener. */
const READS = `
  const results = [];
  for (let i = 0; i < 20; i++) {
    const [t, c] = await Promise.all([m.snapshot(), m.countStates()]);
    results.push(t.toArray().some((r) => r.localPort === data.port && r.state === 'LISTEN') && c.LISTEN >= 1);
  }
  return results.every(Boolean);
`;

describe('worker threads', () => {
  it('reads correctly in four workers at once and in the main thread', async () => {
    const pair = await connectedPair();
    const port = pair.client.remotePort!;
    try {
      const workers = startWorkers<boolean>(4, READS, { port });
      for (let i = 0; i < 20; i++) {
        expect(snapshotSync().toArray().some((r) => r.localPort === port)).toBe(true);
        expect(countStatesSync().LISTEN).toBeGreaterThanOrEqual(1);
      }
      expect(await workers.answers).toEqual([true, true, true, true]);
      expect(await workers.exitCodes).toEqual([0, 0, 0, 0]);
    } finally {
      await pair.close();
    }
  });
});

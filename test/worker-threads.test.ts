// The addon in worker_threads: four at once beside the main thread, each correct, each unloading.
import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { countStatesSync, snapshotSync } from '../dist/index.js';
import { connectedPair } from './helpers/sockets.js';

const index = path.join(__dirname, '../dist/index.js');
const source = `
  const { workerData, parentPort } = require('node:worker_threads');
  import(workerData.index).then(async (m) => {
    const results = [];
    for (let i = 0; i < 20; i++) {
      const [t, c] = await Promise.all([m.snapshot(), m.countStates()]);
      results.push(t.toArray().some((r) => r.localPort === workerData.port && r.state === 'LISTEN') && c.LISTEN >= 1);
    }
    parentPort.postMessage(results.every(Boolean));
  });
`;

describe('worker threads', () => {
  it('reads correctly in four workers at once and in the main thread', async () => {
    const pair = await connectedPair();
    const port = pair.client.remotePort!;
    try {
      const workers = Array.from({ length: 4 }, () => new Worker(source, { eval: true, workerData: { index, port } }));
      const answers = workers.map((w) => once(w, 'message'));
      const exits = workers.map((w) => once(w, 'exit'));
      for (let i = 0; i < 20; i++) {
        expect(snapshotSync().toArray().some((r) => r.localPort === port)).toBe(true);
        expect(countStatesSync().LISTEN).toBeGreaterThanOrEqual(1);
      }
      expect((await Promise.all(answers)).map(([ok]) => ok)).toEqual([true, true, true, true]);
      const codes = await Promise.all(exits);
      expect(codes.map(([c]) => c)).toEqual([0, 0, 0, 0]);
    } finally {
      await pair.close();
    }
  });
});

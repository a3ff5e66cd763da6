// UNIX-socket reads in worker_threads: three workers at once beside the main thread, each finding
// a listener the test made (by its abstract name, which Node pads with NULs to the whole
// sun_path: ss prints them as '@'), each unloading cleanly.
import { once } from 'node:events';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { unixSocketsSync } from '../../src/index.js';

const source = `
  const { workerData, parentPort } = require('node:worker_threads');
  import('sockscope').then(async (m) => {
    const found = [];
    for (let i = 0; i < 10; i++) {
      const [t, s] = await Promise.all([m.unixSockets({ states: ['LISTEN'] }), m.unixSocketsSync()]);
      found.push(t.toArray().some((r) => r.path?.startsWith(workerData.name)) && s.toArray().some((r) => r.path?.startsWith(workerData.name)));
    }
    parentPort.postMessage(found.every(Boolean));
  });
`;

describe('UNIX-socket reads in worker threads', () => {
  it('read correctly in three workers at once and in the main thread', async () => {
    const name = `@sockscope-workers-${process.pid}`;
    const server = net.createServer().listen({ path: `\0${name.slice(1)}` });
    await once(server, 'listening');
    try {
      const workers = Array.from({ length: 3 }, () => new Worker(source, { eval: true, workerData: { name } }));
      const answers = workers.map((w) => once(w, 'message'));
      const exits = workers.map((w) => once(w, 'exit'));
      for (let i = 0; i < 10; i++) expect(unixSocketsSync().toArray().some((r) => r.path?.startsWith(name) && r.state === 'LISTEN')).toBe(true);
      expect((await Promise.all(answers)).map(([ok]) => ok)).toEqual([true, true, true]);
      expect((await Promise.all(exits)).map(([code]) => code)).toEqual([0, 0, 0]);
    } finally {
      server.close();
    }
  });
});

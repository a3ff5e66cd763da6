// A close-events stream in a Worker: ending the Worker with a next() pending must close the
// poll and the socket before the addon is unloaded (else libuv calls into unloaded code), and
// a stream closed inside a Worker ends its iteration there.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

import { ROOT } from '../helpers/netns.js';

function start(body: string): Worker {
  const code = `const post = (m) => require('node:worker_threads').parentPort.postMessage(m);
    import('sockscope').then(async ({ events }) => { ${body} }).catch((e) => post('error: ' + e.message));`;
  return new Worker(code, { eval: true, cwd: ROOT } as never);
}

describe('close events in Workers', () => {
  it('a Worker ended with a next() pending takes its socket with it, three times over', async () => {
    for (let i = 0; i < 3; i++) {
      const w = start(`const s = events(); s[Symbol.asyncIterator]().next(); post('waiting');`);
      expect((await once(w, 'message'))[0]).toBe('waiting');
      expect(await w.terminate()).toBe(1);
    }
  });

  it('close() inside a Worker ends its iteration', async () => {
    const w = start(`const s = events(); setTimeout(() => s.close(), 20); let n = 0; for await (const _ of s) n++; post('ended ' + n);`);
    expect((await once(w, 'message'))[0]).toBe('ended 0');
    await w.terminate();
  });
});

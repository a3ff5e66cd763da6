// A sockstat that claims billions of sockets beside /proc's own table (size 0, so the claim is
// believed), read in a child with room for node only: the reader does without the room and
// still finds this test's listener.
import fs from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { inChild, VM } from '../helpers/child.js';
import { HUGE_SOCKSTAT, procDir } from '../helpers/proc-dir.js';

type Listed = { state: string; localPort: number };

describe('a sockstat that claims billions of sockets', () => {
  it('reads on where the room it asks for cannot be had', async (ctx) => {
    // /proc's own table (size 0: the claim is believed) beside the claim, in a child with room for the node only.
    const dir = procDir({ sockstat: HUGE_SOCKSTAT });
    fs.symlinkSync('/proc/net/tcp', path.join(dir, 'tcp'));
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const baseKiB = inChild<number>(`${VM} return vm('VmSize');`);
      // A sanitizer's shadow maps terabytes up front: no address-space limit can be set around it.
      if (baseKiB > 64 << 20) {
        console.warn(`skipped: the child maps ${baseKiB} KiB from its start (a sanitizer build)`);
        ctx.skip();
      }
      const o = JSON.stringify({ procRoot: dir, protocols: ['tcp'] });
      const listening = (rows: Listed[]) => rows.some((r) => r.state === 'LISTEN' && r.localPort === port);
      const [sync, async, listeners] = inChild<[Listed[], Listed[], number]>(`${VM} const f = (t) => t.toArray().map((r) => ({ state: r.state, localPort: r.localPort }));
        return [f(s.snapshotSync(${o})), f(await s.snapshot(${o})), s.countStatesSync(${o}).LISTEN];`, { shell: `ulimit -v ${baseKiB + (512 << 10)}` });
      expect(listening(sync)).toBe(true);
      expect(listening(async)).toBe(true);
      expect(listeners).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});

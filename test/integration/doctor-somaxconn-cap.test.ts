// The doctor names a listener whose backlog net.core.somaxconn capped (netlink knows the backlog).
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';

import { diagnose } from '../../src/index.js';
import { netlinkReady } from '../helpers/netlink.js';
import { sysDir } from '../helpers/proc-dir.js';

describe.skipIf(!netlinkReady)('a backlog capped by net.core.somaxconn (netlink)', () => {
  it('is named, from a sysRoot whose somaxconn equals the backlog', async () => {
    const server = net.createServer().listen({ host: '127.0.0.1', port: 0, backlog: 37 });
    await once(server, 'listening');
    try {
      const findings = await diagnose({ source: 'netlink', sysRoot: sysDir({ 'net/core/somaxconn': '37' }) });
      const cap = findings.find((f) => f.id === 'somaxconn-cap')!;
      expect(cap.severity).toBe('info');
      expect(cap.endpoints).toContainEqual({
        endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        evidence: { acceptQueue: 0, backlog: 37, synRecv: 0 },
      });
    } finally {
      server.close();
    }
  });
});

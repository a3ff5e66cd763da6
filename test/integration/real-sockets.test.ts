// The test's own sockets, made with the net module, read back field by field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { countStates, countStatesSync, snapshot, snapshotSync, type SocketRow } from '../../src/index.js';
import { netlinkReady } from '../helpers/netlink.js';
import { connectedPair, until, type Pair } from '../helpers/sockets.js';

const SENT = 3000;

function find(rows: Iterable<SocketRow>, localPort: number, remotePort: number) {
  return [...rows].find((r) => r.localPort === localPort && r.remotePort === remotePort);
}

// Every check runs on both sources; netlink where the kernel offers it (it says so if not).
const sources = netlinkReady ? (['netlink', 'proc'] as const) : (['proc'] as const);
if (!netlinkReady) console.warn('netlink sock_diag unavailable here: real-socket checks run on /proc only');

for (const source of sources)
for (const host of ['127.0.0.1', '::1']) {
  describe(`${source}: a listener and a connection on ${host}`, () => {
    let pair: Pair;
    let serverPort: number;
    let clientPort: number;
    const proto = host.includes(':') ? 'tcp6' : 'tcp';

    beforeAll(async () => {
      pair = await connectedPair(host);
      serverPort = pair.client.remotePort!;
      clientPort = pair.client.localPort!;
      pair.client.write(Buffer.alloc(SENT, 1));
      // Wait until the bytes sit unread in the accepted socket's receive queue.
      await until(() => find(snapshotSync({ source, protocols: [proto] }), serverPort, clientPort)?.recvQ === SENT);
    });
    afterAll(() => pair.close());

    it('reports the accepted side with its unread bytes', () => {
      const row = find(snapshotSync({ source, protocols: [proto], cookie: true }), serverPort, clientPort);
      expect(row).toEqual({
        proto,
        state: 'ESTABLISHED',
        localAddress: host,
        localPort: serverPort,
        remoteAddress: host,
        remotePort: clientPort,
        recvQ: SENT,
        sendQ: 0,
        uid: process.getuid!(),
        inode: expect.any(Number),
        timer: expect.any(String),
        timerExpires: expect.any(Number),
        retransmits: 0,
        ...(source === 'netlink' ? { cookie: expect.stringMatching(/^[0-9a-f]+$/) } : {}),
      });
      expect(row!.inode).toBeGreaterThan(0);
    });

    it('reports the client side and the listener', async () => {
      const table = await snapshot({ source, protocols: [proto] });
      expect(table.source).toBe(source);
      const client = find(table, clientPort, serverPort);
      expect(client).toMatchObject({ state: 'ESTABLISHED', recvQ: 0, sendQ: 0, localAddress: host });
      const listener = find(table, serverPort, 0);
      expect(listener).toMatchObject({ state: 'LISTEN', localAddress: host, remoteAddress: host.includes(':') ? '::' : '0.0.0.0', recvQ: 0, sendQ: source === 'netlink' ? 511 : 0 });
      expect(listener!.inode).toBeGreaterThan(0);
    });

    it('filters by state in the reader', () => {
      const table = snapshotSync({ source, protocols: [proto], states: ['LISTEN'] });
      expect(find(table, serverPort, 0)).toMatchObject({ state: 'LISTEN', localPort: serverPort, remotePort: 0 });
      expect(find(table, serverPort, clientPort)).toBeUndefined();
      expect([...table].every((r) => r.state === 'LISTEN')).toBe(true);
    });

    it('filters by local and remote port, a port or a range', async () => {
      const byLocal = snapshotSync({ source, protocols: [proto], localPort: serverPort });
      expect(byLocal.toArray().map((r) => [r.localPort, r.remotePort]).sort()).toEqual([[serverPort, 0], [serverPort, clientPort]]);
      const byRemote = await snapshot({ source, protocols: [proto], remotePort: [serverPort, serverPort] });
      // Other files' sockets share this namespace: a dual-stack server's IPv4 peer (a tcp6 row on
      // ::ffff:...) may have an ephemeral port equal to ours. Ours are on `host`.
      expect(byRemote.toArray().filter((r) => r.localAddress === host).map((r) => r.localPort)).toEqual([clientPort]);
      const both = snapshotSync({ source, protocols: [proto], localPort: [[1, 1], serverPort], remotePort: clientPort });
      expect(both.length).toBe(1);
      expect(countStatesSync({ source, protocols: [proto], localPort: serverPort })).toMatchObject({ LISTEN: 1, ESTABLISHED: 1, total: 2 });
    });

    it('counts the same sockets the table holds', async () => {
      const table = snapshotSync({ source });
      const counts = countStatesSync({ source });
      expect(counts.ESTABLISHED).toBe([...table].filter((r) => r.state === 'ESTABLISHED').length);
      expect(counts.ESTABLISHED).toBeGreaterThanOrEqual(2);
      expect(counts.LISTEN).toBeGreaterThanOrEqual(1);
      expect(counts.total).toBe(table.length);
      expect(await countStates({ source })).toEqual(counts);
    });
  });
}

describe('the table type', () => {
  it('gives typed-array columns, row access, iteration and JSON', async () => {
    const pair = await connectedPair();
    try {
      const t = snapshotSync();
      expect(t.columns.localPort).toBeInstanceOf(Uint16Array);
      expect(t.columns.localAddress).toBeInstanceOf(Uint8Array);
      expect(t.columns.localAddress.length).toBe(16 * t.length);
      for (const name of ['state', 'recvQ', 'sendQ', 'uid', 'inode', 'remotePort'] as const) {
        expect(t.columns[name].length).toBe(t.length);
      }
      expect(t.get(t.length)).toBeUndefined();
      expect(t.at(-1)).toEqual(t.get(t.length - 1));
      expect(JSON.parse(JSON.stringify(t))).toEqual(t.toArray());
      expect([...t]).toEqual(t.toArray());
    } finally {
      await pair.close();
    }
  });
});

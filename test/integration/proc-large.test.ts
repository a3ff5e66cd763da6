// Tables larger than the reader's head (64 KiB): from 50,000 rows they are read ahead on a
// second thread while the first parses, and with a sockstat beside them their columns are
// reserved in one huge-page region. Every row must survive the chunk boundaries, and an error
// deep in the file must stop both threads cleanly, closing the file.
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { countStatesSync, snapshot, snapshotSync, SockscopeError } from '../../src/index.js';
import { netlinkReady } from '../helpers/netlink.js';
import { HEADER, procDir } from '../helpers/proc-dir.js';

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

/** Row i: ESTABLISHED (every 7th LISTEN) from 127.0.0.1:(1024 + i % 60000) to 10.x, a distinct inode and queues. */
function line(i: number): string {
  const state = i % 7 === 0 ? '0A' : '01';
  const remote = hex(0x0a000000 + (i & 0xffff), 8); // printed as the kernel prints a host-order word
  return `${String(i).padStart(4)}: 0100007F:${hex(1024 + (i % 60000), 4)} ${remote}:${hex(i % 65536, 4)} ${state} ` +
    `${hex(i * 3, 8)}:${hex(i * 5, 8)} 00:00000000 00000000  ${1000 + (i % 5)}        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1\n`;
}
const openFds = () => readdirSync('/proc/self/fd').length;

// 20,000 rows (3 MB): read on one thread, columns grown; 60,000 rows (9 MB) with the kernel's
// count beside them in sockstat: read ahead, columns in one region.
for (const { rows, sockstat } of [{ rows: 20_000, sockstat: false }, { rows: 60_000, sockstat: true }])
describe(`a table of ${rows} rows through procRoot${sockstat ? ', with a sockstat' : ''}`, () => {
  const big = HEADER + Array.from({ length: rows }, (_, i) => line(i)).join('');
  const extra = sockstat ? { sockstat: `sockets: used ${rows}\nTCP: inuse ${rows} orphan 0 tw 0 alloc ${rows} mem 0\n` } : {};
  const dir = procDir({ tcp: big, ...extra });

  it('keeps every row across the chunk boundaries, sync and async', async () => {
    for (const t of [snapshotSync({ procRoot: dir, protocols: ['tcp'] }), await snapshot({ procRoot: dir, protocols: ['tcp'] })]) {
      expect(t.length).toBe(rows);
      const c = t.columns;
      for (let i = 0; i < rows; i++) {
        if (c.inode[i] !== 100000 + i || c.localPort[i] !== 1024 + (i % 60000) || c.remotePort[i] !== i % 65536 ||
            c.sendQ[i] !== i * 3 || c.recvQ[i] !== i * 5 || c.uid[i] !== 1000 + (i % 5) || c.state[i] !== (i % 7 === 0 ? 10 : 1))
          throw new Error(`row ${i} differs: ${JSON.stringify(t.get(i))}`);
      }
      // The word 0x0A00xxyy in host order: bytes yy xx 00 0A.
      const last = rows - 1;
      expect(t.get(last).remoteAddress).toBe(`${last & 255}.${(last >> 8) & 255}.0.10`);
    }
    const listeners = Math.ceil(rows / 7);
    expect(countStatesSync({ procRoot: dir, protocols: ['tcp'] })).toMatchObject({ LISTEN: listeners, ESTABLISHED: rows - listeners, total: rows });
  });

  it('names a malformed line deep in the file, and leaves no descriptor open', () => {
    const lines = big.split('\n');
    lines[15_000] = lines[15_000]!.replace(' 01 ', ' ZZ ');
    const bad = procDir({ tcp: lines.join('\n'), ...extra });
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      expect(() => snapshotSync({ procRoot: bad, protocols: ['tcp'] })).toThrow(/tcp:15001: malformed line: expected state$/);
      expect(() => countStatesSync({ procRoot: bad, protocols: ['tcp'] })).toThrow(SockscopeError);
    }
    expect(openFds()).toBe(before);
  });

  it('rejects a big table cut in the middle of its last line', () => {
    const cut = procDir({ tcp: big.slice(0, -40), ...extra });
    expect(() => snapshotSync({ procRoot: cut, protocols: ['tcp'] })).toThrow(new RegExp(`tcp:${rows + 1}: truncated line`));
  });
});

// The kernel's own table, read 4 KiB per read() (seq_file): 1500 connections make ~450 KB.
describe('1500 real connections', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  let port = 0;

  beforeAll(async () => {
    const server = net.createServer({ pauseOnConnect: true }, (s) => sockets.push(s));
    servers.push(server);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 2048 });
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
    for (let i = 0; i < 1500; i += 100)
      await Promise.all(Array.from({ length: 100 }, async () => {
        const c = net.connect({ host: '127.0.0.1', port });
        sockets.push(c);
        await once(c, 'connect');
      }));
    while (sockets.length < 3000) await new Promise((r) => setTimeout(r, 10));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    servers.forEach((s) => s.close());
  });

  it('finds every one of them in /proc, as netlink does', async () => {
    const key = (t: ReturnType<typeof snapshotSync>, i: number) => `${t.columns.localPort[i]}>${t.columns.remotePort[i]}`;
    const ours = (t: ReturnType<typeof snapshotSync>) => {
      const keys = new Set<string>();
      for (let i = 0; i < t.length; i++)
        if ((t.columns.localPort[i] === port || t.columns.remotePort[i] === port) && t.columns.state[i] === 1) keys.add(key(t, i));
      return keys;
    };
    const proc = ours(await snapshot({ source: 'proc', protocols: ['tcp'] }));
    expect(proc.size).toBe(3000);
    if (!netlinkReady) return console.warn('netlink sock_diag unavailable here: /proc checked alone');
    expect(ours(snapshotSync({ source: 'netlink', protocols: ['tcp'] }))).toEqual(proc);
  });
});

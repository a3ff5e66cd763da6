// What only netlink knows, checked on the test's own sockets: a listener's accept queue and
// backlog (against ss), the socket cookie, tcp_info byte counts, SK_MEMINFO, and port filters
// the kernel applies itself.
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { countStatesSync, snapshot, snapshotSync, type SocketRow } from '../../src/index.js';
import { hasCommand } from '../helpers/netns.js';
import { netlinkReady } from '../helpers/netlink.js';
import { connectedPair, until, type Pair } from '../helpers/sockets.js';

const SENT = 5000;
const BACKLOG = 7;
const WAITING = 3;

// A listener that never accepts: python3 holds it; connections pile up in its accept queue.
async function idleListener(backlog: number): Promise<{ port: number; child: ChildProcess }> {
  const code = `import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(${backlog})\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()`;
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { port: Number(chunk.toString().trim()), child };
}

const find = (rows: Iterable<SocketRow>, local: number, remote: number) =>
  [...rows].find((r) => r.localPort === local && r.remotePort === remote);

describe.skipIf(!netlinkReady)('netlink only (skipped: sock_diag unavailable here)', () => {
  let pair: Pair;
  let server: number;
  let client: number;

  beforeAll(async () => {
    pair = await connectedPair('127.0.0.1');
    server = pair.client.remotePort!;
    client = pair.client.localPort!;
    pair.client.write(Buffer.alloc(SENT, 7));
    await until(() => find(snapshotSync({ localPort: server }), server, client)?.recvQ === SENT);
  });
  afterAll(() => pair.close());

  it('is what auto picks, and says so', () => {
    expect(snapshotSync().source).toBe('netlink');
    expect(snapshotSync({ source: 'proc' }).source).toBe('proc');
  });

  it('reports a listener\'s accept queue and backlog as ss does', async () => {
    if (!hasCommand('python3')) return console.warn('skipped: no python3');
    const { port, child } = await idleListener(BACKLOG);
    const waiting: net.Socket[] = [];
    try {
      for (let i = 0; i < WAITING; i++) {
        const s = net.connect(port, '127.0.0.1');
        await once(s, 'connect');
        waiting.push(s);
      }
      const row = find(snapshotSync({ states: ['LISTEN'], localPort: port }), port, 0)!;
      expect(row).toMatchObject({ state: 'LISTEN', recvQ: WAITING, sendQ: BACKLOG });
      expect(find(snapshotSync({ source: 'proc', localPort: port }), port, 0)).toMatchObject({ recvQ: WAITING, sendQ: 0 });
      if (hasCommand('ss')) {
        const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim().split(/\s+/);
        expect([Number(line[1]), Number(line[2])]).toEqual([WAITING, BACKLOG]);
      }
    } finally {
      for (const s of waiting) s.destroy();
      child.kill();
    }
  });

  it('gives each socket the cookie ss prints as sk:, when asked', () => {
    expect(snapshotSync({ localPort: server }).columns.cookie).toBeUndefined();
    const row = find(snapshotSync({ cookie: true, localPort: server }), server, client)!;
    expect(row.cookie).toMatch(/^[0-9a-f]+$/);
    if (!hasCommand('ss')) return console.warn('skipped the ss comparison: no ss');
    const out = execFileSync('ss', ['-tanHe', `sport = :${server} and dport = :${client}`], { encoding: 'utf8' });
    expect(out).toContain(`sk:${row.cookie}`);
  });

  it('adds tcp_info on request: bytes acked and received, rtt, congestion', async () => {
    const t = await snapshot({ info: true, localPort: server, remotePort: client });
    const acc = t.get(0)!;
    const sender = find(snapshotSync({ info: true, localPort: client }), client, server)!;
    expect(acc.info!.bytesReceived).toBe(SENT);
    expect(sender.info!.bytesAcked).toBe(SENT + 1); // the SYN counts one
    expect(sender.info!.unacked).toBe(0);
    expect(sender.info!.rtt).toBeGreaterThan(0);
    // A new socket takes the namespace's default congestion control.
    expect(sender.info!.congestion).toBe(fs.readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim());
    expect(t.columns.info!.bytesReceived).toBeInstanceOf(Float64Array);
    expect(snapshotSync({ localPort: server }).columns.info).toBeUndefined();
  });

  it('adds SK_MEMINFO on request: unread bytes are charged to the receive buffer', () => {
    const row = find(snapshotSync({ memory: true, localPort: server }), server, client)!;
    expect(row.memory!.rmemAlloc).toBeGreaterThanOrEqual(SENT);
    expect(row.memory!.rcvbuf).toBeGreaterThan(0);
    expect(row.memory!.drops).toBe(0);
  });

  it('lets the kernel filter ports, equal or in a range, and checks it did', () => {
    for (const opts of [{ localPort: server }, { remotePort: [client, client] as [number, number] }, { localPort: [[1, 2], server] as const }]) {
      const t = snapshotSync({ cookie: true, ...opts } as never);
      expect(t.dump).toMatchObject({ filteredInUserspace: 0 });
      const all = snapshotSync({ cookie: true }).toArray();
      const want = all.filter((r) => ('localPort' in opts ? r.localPort === server : r.remotePort === client));
      expect(t.toArray().map((r) => r.cookie).sort()).toEqual(want.map((r) => r.cookie).sort());
    }
  });

  it('counts what /proc counts', () => {
    expect(countStatesSync({ source: 'netlink', protocols: ['tcp', 'tcp6', 'udp', 'udp6'] }))
      .toEqual(countStatesSync({ source: 'proc', protocols: ['tcp', 'tcp6', 'udp', 'udp6'] }));
  });

  it('refuses extensions the /proc source cannot give', () => {
    expect(() => snapshotSync({ source: 'proc', info: true })).toThrow(RangeError);
  });
});

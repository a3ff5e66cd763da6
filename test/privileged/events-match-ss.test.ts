// Close events against the sockets a test closed and against `ss -E` run beside them, in the
// suite's private namespace; AbortSignal and return() close the socket; a tiny receive buffer
// loses events and counts every one.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

import { events, type CloseEvent, type CloseEvents } from '../../src/index.js';
import { CLI, HAS_NETNS, hasCommand, ROOT } from '../helpers/netns.js';

const CHURN = path.join(ROOT, 'test/fixtures/close_churn.py');

interface Churn {
  port: number;
  connections: [number, number][];
}

/** One closed socket as compared: 4-tuple, final state and bytes. */
interface Closed {
  key: string;
  state: string;
  bytesAcked: number;
  bytesReceived: number;
}

const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
const keyOf = (la: string, lp: number, ra: string, rp: number) => `${endpoint(la, lp)} ${endpoint(ra, rp)}`;

function churn(n: number, family: 4 | 6): Churn {
  return JSON.parse(execFileSync('python3', [CHURN, String(n), String(family)], { encoding: 'utf8' })) as Churn;
}

/** What the churn closed: per connection the client's and the server's socket, then the listener. */
function expected(c: Churn, family: 4 | 6): Closed[] {
  const host = family === 6 ? '::1' : '127.0.0.1';
  const any = family === 6 ? '::' : '0.0.0.0';
  return [
    ...c.connections.flatMap(([client, size]) => [
      // The client's SYN and FIN are acked besides its data; each side received the other's FIN.
      { key: keyOf(host, client, host, c.port), state: 'CLOSE', bytesAcked: size + 2, bytesReceived: 1 },
      { key: keyOf(host, c.port, host, client), state: 'CLOSE', bytesAcked: 1, bytesReceived: size + 1 },
    ]),
    { key: keyOf(host, c.port, any, 0), state: 'CLOSE', bytesAcked: 0, bytesReceived: 0 },
  ];
}

const closed = (e: CloseEvent): Closed => ({
  key: keyOf(e.localAddress, e.localPort, e.remoteAddress, e.remotePort),
  state: e.state,
  bytesAcked: e.info?.bytesAcked ?? NaN,
  bytesReceived: e.info?.bytesReceived ?? NaN,
});

const sorted = (list: Closed[]) => [...list].sort((a, b) => (a.key < b.key ? -1 : 1));

/** Reads events until `want` match `keep`, or `ms` pass with none. */
async function collect(stream: CloseEvents, keep: (e: CloseEvent) => boolean, want: number, ms = 3000): Promise<CloseEvent[]> {
  const it = stream[Symbol.asyncIterator]();
  const out: CloseEvent[] = [];
  while (out.length < want) {
    const r = await Promise.race([it.next(), sleep(ms).then(() => 'timeout' as const)]);
    if (r === 'timeout' || r.done) break;
    if (keep(r.value)) out.push(r.value);
  }
  return out;
}

/** `ss -E -H -t -n -i` output: a socket line, then its tcp_info line (UNCONN is ss's CLOSE). */
function parseSsEvents(text: string): Closed[] {
  const out: Closed[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+\d+\s+\d+\s+(\S+):(\d+|\*)\s+(\S+):(\d+|\*)/.exec(line);
    if (m) {
      const strip = (a: string) => a.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
      const port = (p: string) => (p === '*' ? 0 : Number(p));
      const state = m[1] === 'UNCONN' ? 'CLOSE' : m[1]!;
      const local = strip(m[2]!);
      // ss prints any address as `*`, in either family.
      const remote = m[4] === '*' ? (local.includes(':') ? '::' : '0.0.0.0') : strip(m[4]!);
      out.push({ key: keyOf(local, port(m[3]!), remote, port(m[5]!)), state, bytesAcked: 0, bytesReceived: 0 });
    } else if (out.length && /^\s/.test(line)) {
      const last = out[out.length - 1]!;
      last.bytesAcked = Number(/bytes_acked:(\d+)/.exec(line)?.[1] ?? 0);
      last.bytesReceived = Number(/bytes_received:(\d+)/.exec(line)?.[1] ?? 0);
    }
  }
  return out;
}

const openFds = () => readdirSync('/proc/self/fd').length;

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('stdbuf') || !hasCommand('python3'))(
  'close events (skipped without a private namespace, ss, stdbuf or python3)',
  () => {
    it('equal the sockets closed, IPv4 and IPv6, and what ss -E printed beside them', async () => {
      const stream = events({ protocols: ['tcp', 'tcp6'] });
      // Line-buffered: ss is killed at the end, and a full stdio buffer would die with it.
      const ss = spawn('stdbuf', ['-oL', 'ss', '-E', '-H', '-t', '-n', '-i'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let ssText = '';
      ss.stdout.on('data', (d) => (ssText += d));
      await sleep(500); // ss joins the groups once started; no line says when
      const four = churn(20, 4);
      const six = churn(20, 6);
      const ports = new Set([four.port, six.port]);
      const ours = (e: { key: string }) => [...ports].some((p) => e.key.includes(`:${p} `) || e.key.endsWith(`:${p}`));
      const want = [...expected(four, 4), ...expected(six, 6)];
      const got = await collect(stream, (e) => ports.has(e.localPort) || ports.has(e.remotePort), want.length);
      await sleep(300);
      ss.kill('SIGINT');
      await new Promise((r) => ss.once('exit', r));
      stream.close();

      expect(want).toHaveLength(82);
      expect(sorted(got.map(closed))).toEqual(sorted(want));
      for (const e of got) {
        expect([e.protocol, e.uid, e.inode, typeof e.cookie]).toEqual(['tcp', 0, 0, 'bigint']);
        expect(e.family).toBe(e.localAddress.includes(':') ? 6 : 4);
      }
      expect(new Set(got.map((e) => e.cookie)).size).toBe(got.length);
      expect(sorted(parseSsEvents(ssText).filter(ours))).toEqual(sorted(want));
      expect(stream.lost).toBe(0);
    });

    it('sockscope events --json prints a JSON object a line for each, and stops on SIGINT', async () => {
      const child = spawn(process.execPath, [CLI, 'events', '--json', '-4'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      await sleep(800); // node starts and joins
      const c = churn(10, 4);
      const udpPort = Number(execFileSync('python3', ['-c', 'import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); print(u.getsockname()[1]); u.close()'], { encoding: 'utf8' }));
      const want = expected(c, 4);
      for (let i = 0; i < 50 && out.split('\n').filter((l) => l.includes(`:${c.port}`) || l.includes(`"localPort":${c.port}`)).length < want.length; i++) await sleep(100);
      for (let i = 0; i < 50 && !out.includes(`"localPort":${udpPort},`); i++) await sleep(100);
      child.kill('SIGINT');
      const [code] = (await new Promise((r) => child.once('exit', (...a) => r(a)))) as [number | null];
      expect([code, err]).toEqual([0, '']);
      const rows = out.trim().split('\n').map((l) => JSON.parse(l) as CloseEvent & { cookie: string });
      const ours = rows.filter((r) => r.localPort === c.port || r.remotePort === c.port);
      expect(sorted(ours.map((r) => closed({ ...r, cookie: BigInt(`0x${r.cookie}`) })))).toEqual(sorted(want));
      expect(ours.every((r) => r.proto === 'tcp' && /^[0-9a-f]+$/.test(r.cookie))).toBe(true);
      // UDP too without -t or -u, as ss -E; its final queues are 0 (the kernel's -1 send queue read as 0).
      const udp = rows.filter((r) => r.proto === 'udp' && r.localPort === udpPort);
      expect(udp.map(({ state, localAddress, remoteAddress, remotePort, recvQ, sendQ, info }) => ({ state, localAddress, remoteAddress, remotePort, recvQ, sendQ, info })))
        .toEqual([{ state: 'UNCONN', localAddress: '127.0.0.1', remoteAddress: '0.0.0.0', remotePort: 0, recvQ: 0, sendQ: 0, info: undefined }]);
    });

    it('keeps only the ports and states asked for, before JS sees them', async () => {
      const stream = events({ protocols: ['tcp'], localPort: [1, 65535], remotePort: 0 });
      const c = churn(5, 4);
      const got = await collect(stream, (e) => e.localPort === c.port, 1);
      stream.close();
      expect(got.map(closed)).toEqual([expected(c, 4).at(-1)]);
      expect(stream.filtered).toBeGreaterThanOrEqual(10);
      const none = events({ protocols: ['tcp'], states: ['LISTEN'] });
      churn(2, 4);
      expect(await collect(none, () => true, 1, 500)).toEqual([]);
      none.close();
    });

    it('an AbortSignal ends the iteration and closes the socket; so does break', async () => {
      await sleep(20); // the sockets of streams closed before are closed on libuv's next turn
      const before = openFds();
      const stop = new AbortController();
      const stream = events({ signal: stop.signal });
      expect(openFds()).toBe(before + 1);
      const seen: CloseEvent[] = [];
      const done = (async () => {
        for await (const e of stream) seen.push(e);
      })();
      await sleep(50);
      stop.abort();
      await done;
      await sleep(20); // libuv closes the poll, then the fd, on its next turn
      expect(openFds()).toBe(before);
      expect(seen).toEqual([]);

      const other = events();
      churn(1, 4);
      for await (const _ of other) break;
      await sleep(20);
      expect(openFds()).toBe(before);
      const aborted = events({ signal: AbortSignal.abort() });
      expect(await aborted[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
      await sleep(20);
      expect(openFds()).toBe(before);
    });

    it.skipIf(!hasCommand('setpriv'))('joins without any privilege, as the kernel allows, its buffer capped at rmem_max', () => {
      const script = `const { events } = await import('sockscope'); const s = events(); console.log(JSON.stringify({ receiveBuffer: s.receiveBuffer })); s.close();`;
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '--input-type=module', '-e', script], {
        cwd: ROOT, encoding: 'utf8', timeout: 20_000,
      });
      expect(r.stderr).toBe('');
      const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      expect(JSON.parse(r.stdout)).toEqual({ receiveBuffer: 2 * Math.min(16 << 20, rmemMax) });
    });

    it('counts every event a full receive buffer lost: lost + received = closed', () => {
      // In a namespace of its own, so that only the child's sockets close there.
      const script = `const { events } = await import('sockscope');
        const { execFileSync } = await import('node:child_process');
        const stream = events({ protocols: ['tcp'], receiveBuffer: 4096 });
        execFileSync('python3', [${JSON.stringify(CHURN)}, '300', '4']);
        await new Promise((r) => setTimeout(r, 500));
        const it = stream[Symbol.asyncIterator]();
        let received = 0;
        for (;;) {
          const r = await Promise.race([it.next(), new Promise((r) => setTimeout(r, 500, 'idle'))]);
          if (r === 'idle') break;
          received++;
        }
        stream.close();
        console.log(JSON.stringify({ received, lost: stream.lost, overruns: stream.overruns, receiveBuffer: stream.receiveBuffer }));`;
      const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
        cwd: ROOT, encoding: 'utf8', timeout: 30_000,
      });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { received: number; lost: number; overruns: number; receiveBuffer: number };
      expect(out.lost).toBeGreaterThan(0);
      expect(out.overruns).toBeGreaterThan(0);
      expect(out.lost + out.received).toBe(2 * 300 + 1);
    });
  },
);

// Partitioned dumps (K dumps by port, merged) against the single dump, on real sockets in every
// state the tests can make, both families, TCP and UDP: same counts, same rows, no duplicates.
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { countStatesSync, snapshot, snapshotSync, type ReadOptions, type SocketTable } from '../../src/index.js';
import { binding } from '../../src/binding.js';
import { toNativeRequest } from '../../src/options.js';
import { netlinkReady } from '../helpers/netlink.js';
import { until } from '../helpers/sockets.js';

const PAIRS = 4000;  // 8000 rows and more: past the size where `auto` splits
const ALL = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
const KS = [2, 3, 5];

interface World {
  ports: Set<number>;
  close(): Promise<void>;
}

async function listen(host: string, port: number, allowHalfOpen = false): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen, pauseOnConnect: true });
  server.listen({ host, port, backlog: 4096 });
  await once(server, 'listening');
  return server;
}

async function connect(server: net.Server): Promise<net.Socket> {
  const { address, port } = server.address() as net.AddressInfo;
  const s = net.connect({ host: address, port, allowHalfOpen: true });
  await once(s, 'connect');
  return s;
}

// Listeners at both ends of the port space and in the ephemeral range, v4 and v6; ESTABLISHED
// pairs; FIN_WAIT2/CLOSE_WAIT pairs (the client half-closes, the server never answers);
// TIME_WAIT (the client closes first); bound UDP sockets (CLOSE) and connected ones (ESTABLISHED).
async function makeWorld(): Promise<World> {
  const servers = await Promise.all([
    listen('127.0.0.1', 1080), listen('127.0.0.1', 0), listen('127.0.0.1', 65000),
    listen('::1', 2080), listen('::1', 0), listen('127.0.0.1', 0, true),
  ]);
  const [halfOpen] = servers.slice(-1);
  const accepted: net.Socket[] = [];
  for (const s of servers) s.on('connection', (c) => accepted.push(c));
  const clients: net.Socket[] = [];
  for (let i = 0; i < PAIRS; i++) clients.push(await connect(servers[i % 5]!));
  for (let i = 0; i < 50; i++) (await connect(halfOpen!)).end();
  for (let i = 0; i < 50; i++) {
    const c = await connect(servers[1]!);
    c.on('error', () => {});
    c.destroySoon();  // FIN first: this side ends in TIME_WAIT once the server closes
  }
  await until(() => accepted.length >= PAIRS + 100, 10_000);
  for (const a of accepted.slice(-50)) a.destroy();
  const udp = [dgram.createSocket('udp4'), dgram.createSocket('udp6'), dgram.createSocket('udp4')];
  await Promise.all(udp.map((u, i) => new Promise<void>((r) => u.bind(0, i === 1 ? '::1' : '127.0.0.1', () => r()))));
  udp[2]!.connect(udp[0]!.address().port, '127.0.0.1');
  await once(udp[2]!, 'connect');
  const ports = new Set([...servers.map((s) => (s.address() as net.AddressInfo).port), ...udp.map((u) => u.address().port)]);
  await until(() => countStatesSync().TIME_WAIT >= 50 && countStatesSync().CLOSE_WAIT >= 50, 5000);
  return {
    ports,
    async close() {
      for (const s of [...clients, ...accepted]) s.destroy();
      for (const u of udp) u.close();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

// The fields that do not move between two reads (queues and timers do), one string per row.
function rowKeys(t: SocketTable, ports: Set<number>): string[] {
  const c = t.columns;
  const keys: string[] = [];
  for (let i = 0; i < t.length; i++) {
    if (!ports.has(c.localPort[i]!) && !ports.has(c.remotePort[i]!)) continue;  // other test files' sockets
    const addr = (a: Uint8Array) => Buffer.from(a.subarray(i * 16, i * 16 + 16)).toString('hex');
    keys.push([c.protocol[i], c.family[i], c.state[i], addr(c.localAddress), c.localPort[i], addr(c.remoteAddress),
      c.remotePort[i], c.uid[i], c.inode[i], c.cookie![i]].join(' '));
  }
  return keys.sort();
}

function nativeCounts(options: ReadOptions) {
  return binding().count(toNativeRequest(options, 'countStatesSync'));
}

// Other test files open sockets meanwhile: compare a partitioned count with two single counts
// that agree with each other, taken around it.
function stableCompare(options: ReadOptions, k: number) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = nativeCounts({ ...options, partitions: 1 }).counts;
    const split = nativeCounts({ ...options, partitions: k });
    const after = nativeCounts({ ...options, partitions: 1 }).counts;
    if (JSON.stringify(before) === JSON.stringify(after)) return { single: before, split };
  }
  throw new Error('the namespace never held still for three reads');
}

// Likewise for tables: our sockets may still be closing (FIN_WAIT2 to TIME_WAIT).
async function stableTables(k: number, ports: Set<number>) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const one = snapshotSync({ cookie: true, protocols: [...ALL], partitions: 1 });
    const split = snapshotSync({ cookie: true, protocols: [...ALL], partitions: k });
    const splitAsync = await snapshot({ cookie: true, protocols: [...ALL], partitions: k, info: true, memory: true });
    const after = snapshotSync({ cookie: true, protocols: [...ALL], partitions: 1 });
    if (JSON.stringify(rowKeys(one, ports)) === JSON.stringify(rowKeys(after, ports))) return { one, split, splitAsync };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('our sockets never held still for four reads');
}

describe.skipIf(!netlinkReady)('partitioned dumps equal the single dump', () => {
  let world: World;
  beforeAll(async () => {
    world = await makeWorld();
  }, 60_000);
  afterAll(() => world?.close());

  for (const k of KS) {
    it(`counts per state, tcp and udp, both families: K = ${k}`, () => {
      for (const protocols of [['tcp', 'tcp6'], [...ALL], ['tcp6'], ['udp', 'udp6']] as const) {
        const { single, split } = stableCompare({ protocols: [...protocols] }, k);
        expect(split.dump!.partitions).toBe(k);
        expect(split.counts).toEqual(single);
      }
      const { single } = stableCompare({}, k);
      for (const n of [1, 5, 6, 8, 10]) expect(single[n], `state ${n} present`).toBeGreaterThan(0);
    });

    it(`a state filter, then each state alone: K = ${k}`, () => {
      for (const states of [['ESTABLISHED', 'LISTEN'], ['TIME_WAIT'], ['CLOSE_WAIT'], ['FIN_WAIT2'], ['LISTEN']] as const) {
        const { single, split } = stableCompare({ states: [...states], protocols: [...ALL] }, k);
        expect(split.counts).toEqual(single);
      }
    });

    it(`tables: the same rows, every column, no cookie twice: K = ${k}`, async () => {
      const { one, split, splitAsync } = await stableTables(k, world.ports);
      expect(split.dump!.partitions).toBe(k);
      expect(rowKeys(split, world.ports)).toEqual(rowKeys(one, world.ports));
      expect(rowKeys(splitAsync, world.ports)).toEqual(rowKeys(one, world.ports));
      expect(rowKeys(one, world.ports).length).toBeGreaterThan(2 * PAIRS);
      expect(new Set(split.columns.cookie).size).toBe(split.length);
      for (const [name, col] of Object.entries(split.columns)) {
        if (ArrayBuffer.isView(col)) expect(col.length / split.length, name).toBe(/Address/.test(name) ? 16 : 1);
      }
      // Congestion names are per partition until merged: each row keeps its own algorithm.
      const withInfo = await snapshot({ cookie: true, protocols: [...ALL], partitions: 1, info: true });
      const congestion = (t: SocketTable) => {
        const byCookie = new Map<bigint, string>();
        for (let i = 0; i < t.length; i++) byCookie.set(t.columns.cookie![i]!, t.columns.info!.congestionNames[t.columns.info!.congestion[i]!]!);
        return byCookie;
      };
      const want = congestion(withInfo);
      const have = congestion(splitAsync);
      const mine = [...want.keys()].filter((c) => have.has(c) && want.get(c) !== '');
      expect(mine.length).toBeGreaterThan(PAIRS);
      for (const c of mine) expect(have.get(c)).toBe(want.get(c));
    });
  }

  it('auto splits over the CPUs once the previous read was large, and not with a port filter', () => {
    const cores = Math.min(availableParallelism(), 4);
    nativeCounts({ protocols: [...ALL] });
    expect(nativeCounts({ protocols: [...ALL] }).dump!.partitions).toBe(cores);
    expect(nativeCounts({ protocols: [...ALL], partitions: 4, localPort: [1, 65535] }).dump!.partitions).toBe(1);
    expect(nativeCounts({ protocols: ['udp'] }).dump!.partitions).toBe(1);  // a few rows: one dump
  });

  it('auto counts of every TCP state take ESTABLISHED from the kernel counter once a full count agreed', () => {
    let first = nativeCounts({});
    for (let i = 0; i < 50 && !first.dump!.establishedCounter; i++) first = nativeCounts({});
    expect(first.dump!.establishedCounter, 'trusted after a quiet full count').toBe(true);
    for (let attempt = 0; ; attempt++) {
      const before = nativeCounts({ partitions: 1 }).counts;
      const counted = nativeCounts({});
      const after = nativeCounts({ partitions: 1 }).counts;
      if (JSON.stringify(before) !== JSON.stringify(after) && attempt < 50) continue;
      expect(counted.dump!.establishedCounter).toBe(true);
      expect(counted.counts).toEqual(before);
      expect(before[1]).toBeGreaterThanOrEqual(2 * PAIRS);
      expect(before[8]).toBeGreaterThan(0);  // CLOSE_WAIT, which the counter includes since Linux 6.10
      break;
    }
    // Anything but a whole count of TCP dumps every state.
    for (const options of [{ protocols: [...ALL] }, { protocols: ['tcp' as const] }, { states: ['ESTABLISHED' as const] },
      { partitions: 1 }, { partitions: 2 }, { localPort: [1, 65535] as [number, number] }]) {
      expect(nativeCounts(options).dump!.establishedCounter, JSON.stringify(options)).toBe(false);
    }
  });
});

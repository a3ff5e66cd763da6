// countBy on real sockets: clients bound to addresses of three /24s connect to a listener, and
// the groups must count exactly them, whatever the source, the form or the partitions.
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { countBy, countBySync, snapshotSync, type CountByOptions, type GroupCount } from '../../src/index.js';

// Clients per source address; three /24s, two addresses in the first.
const CLIENTS: Record<string, number> = { '127.0.1.5': 4, '127.0.1.9': 2, '127.0.2.7': 3, '127.0.3.1': 1 };
const TOTAL = Object.values(CLIENTS).reduce((a, b) => a + b, 0);

let server: net.Server;
let server6: net.Server;
let port: number;
let port6: number;
const sockets: net.Socket[] = [];

async function listen(s: net.Server, host: string): Promise<number> {
  s.listen({ host, port: 0 });
  await once(s, 'listening');
  return (s.address() as net.AddressInfo).port;
}

async function connect(host: string, to: number, localAddress: string): Promise<void> {
  const c = net.connect({ host, port: to, localAddress });
  sockets.push(c);
  await once(c, 'connect');
}

beforeAll(async () => {
  server = net.createServer((s) => sockets.push(s));
  server6 = net.createServer((s) => sockets.push(s));
  port = await listen(server, '127.0.0.1');
  // Dual-stack: an IPv4 client reaches it as ::ffff:127.0.2.7, which counts as IPv4 by prefix.
  port6 = await listen(server6, '::');
  for (const [address, n] of Object.entries(CLIENTS)) for (let i = 0; i < n; i++) await connect('127.0.0.1', port, address);
  await connect('127.0.0.1', port6, '127.0.2.7');
  await connect('::1', port6, '::1');
  // Wait for the server side to have accepted every connection.
  while (sockets.length < 2 * (TOTAL + 2)) await new Promise((r) => setTimeout(r, 10));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  server.close();
  server6.close();
});

// `port` is bound on 127.0.0.1 alone, so an IPv6 socket elsewhere in the suite may hold the same
// number: its reads take IPv4 only. `port6`, bound on the dual-stack ::, is no other socket's.
const ourServer = (o: Partial<CountByOptions>): CountByOptions => ({ by: 'remotePrefix', localPort: port, states: ['ESTABLISHED'], protocols: ['tcp'], ...o });

/** The groups alone, without `other` entries. */
const groupsOf = (r: unknown[]) => r.filter((g): g is GroupCount => !('other' in (g as object)));

describe('countBy on real sockets', () => {
  it('counts the server side of the connections by remote /24', () => {
    const r = countBySync(ourServer({}));
    expect([...r]).toEqual([
      { remotePrefix: '127.0.1.0/24', count: 6 },
      { remotePrefix: '127.0.2.0/24', count: 3 },
      { remotePrefix: '127.0.3.0/24', count: 1 },
    ]);
    expect(r.total).toBe(TOTAL);
  });

  it('groups an IPv4-mapped IPv6 peer with its IPv4 prefix, and an IPv6 one by /64', () => {
    const r = countBySync({ by: ['family', 'remotePrefix'], localPort: port6, states: ['ESTABLISHED'], prefix4: 16 });
    expect([...r]).toEqual([
      { family: 6, remotePrefix: '127.0.0.0/16', count: 1 },
      { family: 6, remotePrefix: '::/64', count: 1 },
    ]);
  });

  it('keeps the top N and sums the rest into one other entry', () => {
    const r = countBySync(ourServer({ by: 'remoteAddress', top: 2 }));
    expect([...r]).toEqual([
      { remoteAddress: '127.0.1.5', count: 4 },
      { remoteAddress: '127.0.2.7', count: 3 },
      { other: true, count: 3, groups: 2 },
    ]);
    expect(r.total).toBe(TOTAL);
  });

  it('groups by several keys, ties by number', () => {
    const r = countBySync({ by: ['state', 'localPort', 'family'], localPort: [[port, port], [port6, port6]] });
    const mine = groupsOf(r).filter((g) => (g.localPort === port && g.family === 4) || g.localPort === port6);
    const listen = [{ localPort: port, family: 4 }, { localPort: port6, family: 6 }].sort((a, b) => a.localPort - b.localPort);
    expect(mine).toEqual([
      { state: 'ESTABLISHED', localPort: port, family: 4, count: TOTAL },
      { state: 'ESTABLISHED', localPort: port6, family: 6, count: 2 },
      ...listen.map((l) => ({ state: 'LISTEN', ...l, count: 1 })),
    ]);
  });

  it('equals a group-by over the table, for every key, from netlink and /proc, sync and async, one and two dumps', async () => {
    const table = snapshotSync();
    const byHand = new Map<string, number>();
    for (const row of table) {
      const family = row.proto.endsWith('6') ? 6 : 4;
      const k = `${row.state} ${row.localAddress} ${row.localPort} ${row.remoteAddress} ${row.remotePort} ${row.uid} ${family}`;
      byHand.set(k, (byHand.get(k) ?? 0) + 1);
    }
    const by = ['state', 'localAddress', 'localPort', 'remoteAddress', 'remotePort', 'uid', 'family'] as const;
    const asMap = (r: unknown[]) =>
      new Map(groupsOf(r).map((g) => [`${g.state} ${g.localAddress} ${g.localPort} ${g.remoteAddress} ${g.remotePort} ${g.uid} ${g.family}`, g.count]));
    // Our sockets are idle, so the host's other sockets are all that may move between reads.
    const ours = (m: Map<string, number>) =>
      new Map([...m].filter(([k]) => (k.includes(` ${port} `) && k.endsWith(' 4')) || k.includes(` ${port6} `)));
    expect(ours(byHand).size).toBe(2 * (TOTAL + 2) + 2);
    for (const source of ['netlink', 'proc'] as const) {
      expect(ours(asMap(countBySync({ by: [...by], source })))).toEqual(ours(byHand));
      expect(ours(asMap(await countBy({ by: [...by], source })))).toEqual(ours(byHand));
    }
    for (const partitions of [1, 2, 3] as const) expect(ours(asMap(countBySync({ by: [...by], partitions })))).toEqual(ours(byHand));
  });

  it('takes an ss filter, run by the kernel', async () => {
    const viaFilter = countBySync({ by: 'remotePrefix', filter: `state established sport = :${port}` });
    expect([...viaFilter]).toEqual([...countBySync(ourServer({}))]);
    const some = await countBy({ by: 'remoteAddress', filter: `state established sport = :${port} and ( dst 127.0.2.0/24 or dst 127.0.3.1 )` });
    expect([...some]).toEqual([{ remoteAddress: '127.0.2.7', count: 3 }, { remoteAddress: '127.0.3.1', count: 1 }]);
    expect(() => countBySync({ by: 'state', filter: 'not src 127.0.0.1' })).toThrow(
      'countBySync() counts in the kernel\'s dump, so its filter must run there: an address test under "not" is checked in userspace by ss, and cannot be here',
    );
    expect(() => countBySync({ by: 'state', source: 'proc', filter: 'sport = :1' })).toThrow(RangeError);
    expect(() => countBySync({ by: 'state', filter: 'dport = x' })).toThrow(/Unexpected 'x'/);
  });

  it('orders largest first and sums to the total', () => {
    const r = groupsOf(countBySync({ by: 'remotePort' }));
    for (let i = 1; i < r.length; i++) expect(r[i - 1]!.count).toBeGreaterThanOrEqual(r[i]!.count);
    expect(r.reduce((a, g) => a + g.count, 0)).toBe(countBySync({ by: 'remotePort' }).total);
  });
});

describe('countBy options', () => {
  it.each([
    [{}, TypeError, /Expected a key or an array of distinct keys of "state", .* for by but received undefined/],
    [{ by: 'port' }, RangeError, /for by but received "port" of type string/],
    [{ by: ['state', 'state'] }, RangeError, /for by but received \["state","state"\]/],
    [{ by: [] }, TypeError, /for by but received \[\]/],
    [{ by: 'state', top: 0 }, RangeError, /Expected an integer from 1 to 2147483647 for top but received 0/],
    [{ by: 'state', top: '3' }, TypeError, /for top but received "3" of type string/],
    [{ by: 'remotePrefix', prefix4: 33 }, RangeError, /Expected an integer from 0 to 32 for prefix4 but received 33/],
    [{ by: 'remotePrefix', prefix6: -1 }, RangeError, /Expected an integer from 0 to 128 for prefix6/],
    [{ by: 'state', group: 1 }, TypeError, /Unknown option "group" for countBySync\(\)/],
  ])('%j is refused before native runs', (options, Kind, message) => {
    expect(() => countBySync(options as CountByOptions)).toThrow(Kind);
    expect(() => countBySync(options as CountByOptions)).toThrow(message);
  });
});

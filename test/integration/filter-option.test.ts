// The `filter` read option on real sockets: the same rows over netlink (kernel bytecode, one dump
// or partitioned) and /proc (userspace), sync and async, counts equal to the filtered tables, and
// dump.filteredInUserspace counting what only userspace could drop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  countStates, countStatesSync, FilterSyntaxError, snapshot, snapshotSync, type SnapshotOptions, type SocketTable,
} from '../../src/index.js';
import { connectedPair, type Pair } from '../helpers/sockets.js';

const rows = (t: SocketTable) =>
  t.toArray().map((r) => `${r.proto} ${r.state} ${r.localAddress}:${r.localPort} ${r.remoteAddress}:${r.remotePort}`).sort();

/** Counts of a table's rows by state name, every state of countStates present. */
function countsOf(t: SocketTable, like: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(Object.keys(like).map((k) => [k, 0]));
  for (const r of t) out[r.state]!++;
  out.total = t.length;
  return out;
}

describe('the filter option', () => {
  let v4: Pair[];
  let v6: Pair[];
  let p4: number;
  let p6: number;

  beforeAll(async () => {
    v4 = [await connectedPair('127.0.0.1')];
    v6 = [await connectedPair('::1')];
    p4 = (v4[0]!.server.address() as { port: number }).port;
    p6 = (v6[0]!.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const p of [...v4, ...v6]) await p.close();
  });

  /** Our two pairs' ports, so that other tests' sockets stay out. */
  const ours = () => `( sport = :${p4} or dport = :${p4} or sport = :${p6} or dport = :${p6} )`;

  it('keeps a port condition exactly: the listener and the accepted side of sport = :P', () => {
    const t = snapshotSync({ filter: `sport = :${p4}` });
    expect(rows(t)).toEqual([
      `tcp ESTABLISHED 127.0.0.1:${p4} 127.0.0.1:${v4[0]!.client.localPort}`,
      `tcp LISTEN 127.0.0.1:${p4} 0.0.0.0:0`,
    ].sort());
    expect(t.dump?.filteredInUserspace).toBe(0);
  });

  it('takes state words as narrowing states: both must hold', () => {
    expect(rows(snapshotSync({ filter: `state established sport = :${p4}` }))).toHaveLength(1);
    expect(snapshotSync({ states: ['LISTEN'], filter: `state established sport = :${p4}` }).length).toBe(0);
    expect(rows(snapshotSync({ states: ['LISTEN', 'ESTABLISHED'], filter: `state listening sport = :${p4}` }))).toEqual([
      `tcp LISTEN 127.0.0.1:${p4} 0.0.0.0:0`,
    ]);
  });

  it('ANDs the expression with localPort/remotePort in the kernel', () => {
    const t = snapshotSync({ localPort: p4, filter: `state established` });
    expect(rows(t)).toEqual([`tcp ESTABLISHED 127.0.0.1:${p4} 127.0.0.1:${v4[0]!.client.localPort}`]);
    expect(snapshotSync({ localPort: p4, filter: `dport = :${p4}` }).length).toBe(0);
    expect(snapshotSync({ remotePort: p4, filter: `src 127.0.0.1` }).length).toBe(1);
  });

  const FILTERS = [
    () => ours(),
    () => `state established ${ours()}`,
    () => `${ours()} and src [::1]`,
    () => `${ours()} and dst 127.0.0.0/8`,
    () => `${ours()} and not dst 127.0.0.0/8`,
    () => `${ours()} and sport gt :${Math.min(p4, p6)}`,
    () => `exclude listening ${ours()}`,
  ];

  for (const filter of FILTERS) {
    it(`reads the same rows single, partitioned, async and from /proc: ${filter().replace(/\d{4,5}/g, 'P')}`, async () => {
      const f = filter();
      const single = snapshotSync({ filter: f, partitions: 1 });
      const parted = snapshotSync({ filter: f, partitions: 2 });
      const proc = snapshotSync({ filter: f, source: 'proc' });
      const later = await snapshot({ filter: f, partitions: 2 });
      expect(single.length).toBeGreaterThan(0);
      expect(parted.dump?.partitions).toBe(2);
      expect(rows(parted)).toEqual(rows(single));
      expect(rows(proc)).toEqual(rows(single));
      expect(rows(later)).toEqual(rows(single));
      expect(proc.dump).toBeUndefined();
      // The counts are the filtered tables' counts, through the kernel and through /proc.
      const counts = countStatesSync({ filter: f, partitions: 1 });
      expect(counts).toEqual(countsOf(single, counts));
      expect(countStatesSync({ filter: f, partitions: 2 })).toEqual(counts);
      expect(countStatesSync({ filter: f, source: 'proc' })).toEqual(counts);
      expect(await countStates({ filter: f })).toEqual(counts);
      expect(await countStates({ filter: f, source: 'proc' })).toEqual(counts);
    });
  }

  it('drops in userspace what the kernel lets through, and says how many', async () => {
    // `not src 0.0.0.0`: the kernel's test never matches an IPv4 condition on an IPv6 socket, so
    // `not` passes [::1] sockets; ss's own pass compares the address bytes and drops them (::1
    // starts with 4 zero bytes). Our [::1] pair is 3 sockets: listener, client, accepted.
    const f = `${ours()} and not src 0.0.0.0`;
    const kernelOnly = snapshotSync({ filter: ours() });
    const v6Rows = rows(kernelOnly).filter((r) => r.startsWith('tcp6'));
    expect(v6Rows).toHaveLength(3);
    for (const options of [{ partitions: 1 }, { partitions: 2 }] as SnapshotOptions[]) {
      const t = snapshotSync({ ...options, filter: f });
      expect(rows(t)).toEqual(rows(kernelOnly).filter((r) => r.startsWith('tcp ')));
      expect(t.dump?.filteredInUserspace).toBe(3);
      const a = await snapshot({ ...options, filter: f });
      expect(a.dump?.filteredInUserspace).toBe(3);
      expect(rows(a)).toEqual(rows(t));
    }
    expect(rows(snapshotSync({ filter: f, source: 'proc' }))).toEqual(rows(snapshotSync({ filter: f })));
    const counts = countStatesSync({ filter: f });
    expect(counts.total).toBe(3);
    expect(counts.ESTABLISHED).toBe(2);
    expect(counts.LISTEN).toBe(1);
  });

  it('compacts every column of a table filtered in userspace: owners, tcp_info, memory, cookies', () => {
    const f = `${ours()} and not src 0.0.0.0`;
    const t = snapshotSync({ filter: f, processes: true, info: true, memory: true, cookie: true });
    const whole = snapshotSync({ filter: ours(), processes: true, info: true, memory: true, cookie: true });
    expect(t.length).toBe(3);
    expect(t.columns.localAddress.length).toBe(16 * t.length);
    expect(t.columns.cookie!.length).toBe(t.length);
    expect(t.columns.info!.rtt.length).toBe(t.length);
    expect(t.columns.info!.congestion.length).toBe(t.length);
    expect(t.columns.memory!.rcvbuf.length).toBe(t.length);
    expect(t.owners!.start.length).toBe(t.length + 1);
    const byCookie = new Map(whole.toArray().map((r) => [r.cookie, r]));
    for (const r of t) {
      const same = byCookie.get(r.cookie)!;
      expect(r.localPort).toBe(same.localPort);
      expect(r.owners).toEqual(same.owners);
      expect(r.owners!.map((o) => o.pid)).toContain(process.pid);
      expect(r.info?.sndCwnd).toBe(same.info?.sndCwnd);
    }
  });

  it('refuses a filter that is not a string, and a bad one naming the word', async () => {
    expect(() => snapshotSync({ filter: 42 as never })).toThrow(
      new TypeError('Expected a string (an ss filter expression) for filter but received 42 of type number'),
    );
    for (const read of [() => snapshotSync({ filter: 'dport = :http' }), () => countStatesSync({ filter: 'dport = :http' })]) {
      let err: unknown;
      try {
        read();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FilterSyntaxError);
      expect(err).toMatchObject({
        code: 'ERR_FILTER_SYNTAX', word: 3, token: ':http',
        message: `Unexpected ':http' at word 3 of "dport = :http": expected a port number (service names are not resolved)`,
      });
    }
    await expect(snapshot({ filter: 'src' })).rejects.toMatchObject({ code: 'ERR_FILTER_SYNTAX', word: 2, token: null });
    await expect(countStates({ filter: '( sport = :1' })).rejects.toMatchObject({ code: 'ERR_FILTER_SYNTAX' });
  });
});

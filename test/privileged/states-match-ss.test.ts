// Sockets in every TCP state, IPv4 and IPv6, in a private namespace: sockscope's counts and rows
// must equal what ss and netstat print there, socket by socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SocketRow } from '../../src/index.js';
import { ALL_STATES, cli, HAS_NETNS, hasCommand, startInNetns, type Fixture } from '../helpers/netns.js';
import { countBy, endpointKey, parseNetstat, parseSs, type PeerRow } from '../helpers/peers.js';

/** A row as `list --json` prints it: the fields compared with ss and netstat. */
type Row = Pick<SocketRow, 'proto' | 'state' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'recvQ' | 'sendQ'>;

const key = (r: { local: string; remote: string }) => `${r.local} ${r.remote}`;
const rowKey = (r: Row) =>
  key({ local: endpointKey(r.localAddress, r.localPort), remote: endpointKey(r.remoteAddress, r.remotePort) });

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('netstat') || !hasCommand('python3'))(
  'every TCP state against ss and netstat (skipped without a private namespace, ss, netstat or python3)',
  () => {
    let fx: Fixture<Record<string, unknown>>;
    let ss: PeerRow[];
    let netstat: PeerRow[];

    beforeAll(async () => {
      fx = await startInNetns(ALL_STATES);
      ss = parseSs(fx.exec('ss', ['-tanH']));
      netstat = parseNetstat(fx.exec('netstat', ['-antW']));
    });
    afterAll(() => fx?.stop());

    it('reaches every state but CLOSE, which the kernel never lists for TCP', () => {
      expect(Object.keys(countBy(ss)).sort()).toEqual(
        ['CLOSE_WAIT', 'CLOSING', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'LAST_ACK', 'LISTEN', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'],
      );
    });

    for (const source of ['netlink', 'proc']) {
      it(`states --json equals ss's and netstat's counts (${source})`, () => {
        const r = cli(['states', '--json', '--source', source], fx);
        expect(r.status).toBe(0);
        const counts = JSON.parse(r.stdout) as Record<string, number>;
        const expected = { ...Object.fromEntries(Object.keys(counts).map((k) => [k, 0])), ...countBy(ss) };
        expected.total = ss.length;
        expect(counts).toEqual(expected);
        expect(countBy(netstat)).toEqual(countBy(ss));
      });

      it(`list -a --json matches ss and netstat socket by socket (${source})`, () => {
        const r = cli(['list', '-a', '--json', '--source', source], fx);
        expect(r.status).toBe(0);
        const rows = JSON.parse(r.stdout) as Row[];
        // Queues behind a zero window still creep: a value must equal ss's or netstat's before or after.
        const ssAfter = parseSs(fx.exec('ss', ['-tanH']));
        const netstatAfter = parseNetstat(fx.exec('netstat', ['-antW']));
        expect(rows).toHaveLength(ss.length);
        const index = (peer: PeerRow[]) => new Map(peer.map((s) => [key(s), s]));
        const [ssMaps, netstatMaps] = [[index(ss), index(ssAfter)], [index(netstat), index(netstatAfter)]];
        for (const row of rows) {
          const k = rowKey(row);
          const fromSs = ssMaps.map((m) => m.get(k));
          const fromNetstat = netstatMaps.map((m) => m.get(k.replaceAll('::ffff:', ''))); // netstat prints mapped as IPv4
          expect(fromSs[0], `ss has ${k}`).toBeDefined();
          expect(fromNetstat[0], `netstat has ${k}`).toBeDefined();
          expect(row.state, k).toBe(fromSs[0]!.state);
          expect(fromSs.map((p) => p?.recvQ), `${k} Recv-Q (ss)`).toContain(row.recvQ);
          expect(fromNetstat.map((p) => p?.recvQ), `${k} Recv-Q (netstat)`).toContain(row.recvQ);
          // A listener's Send-Q: ss shows the backlog (netlink), netstat 0 (/proc).
          const peer = row.state === 'LISTEN' && source === 'proc' ? fromNetstat : fromSs;
          expect(peer.map((p) => p?.sendQ), `${k} Send-Q`).toContain(row.sendQ);
        }
      });
    }

    it('a long-lived reader, ESTABLISHED from the kernel counter, equals ss\'s counts', () => {
      // One process, as a service embedding sockscope: the first counts are full dumps that
      // check the counter; once one agreed, ESTABLISHED comes from Tcp CurrEstab.
      const script = `
        import { countStatesSync } from 'sockscope';
        // The addon's own answer, from the package's internal modules beside its entry.
        const entry = import.meta.resolve('sockscope');
        const { binding } = await import(new URL('./binding.js', entry));
        const { toNativeRequest } = await import(new URL('./options.js', entry));
        const count = () => binding().count(toNativeRequest({}, 'countStatesSync')).dump.establishedCounter;
        for (let i = 0; i < 20 && !count(); i++);
        console.log(JSON.stringify({ used: count(), counts: countStatesSync() }));`;
      const { used, counts } = JSON.parse(fx.exec(process.execPath, ['--input-type=module', '-e', script])) as
        { used: boolean; counts: Record<string, number> };
      const now = parseSs(fx.exec('ss', ['-tanH']));
      expect(used).toBe(true);
      expect(counts.CLOSE_WAIT).toBeGreaterThan(0);  // the counter holds it too since Linux 6.10
      expect(counts).toEqual({ ...Object.fromEntries(Object.keys(counts).map((k) => [k, 0])), ...countBy(now), total: now.length });
    });

    it('the partitioned path (K = 2, 3, 5, first read and learned) equals ss and the single dump in every state', () => {
      // Request sockets (SYN_RECV), SYN_SENT, FIN_WAIT1, CLOSING and LAST_ACK included: each part's
      // port filter must hold them as the single dump does, and the merge must keep each once.
      const script = `
        import { countStatesSync, snapshotSync } from 'sockscope';
        const rows = (t) => t.toArray().map((r) => [r.proto, r.state, r.localAddress, r.localPort, r.remoteAddress, r.remotePort].join(' ')).sort();
        const single = { counts: countStatesSync({ partitions: 1 }), rows: rows(snapshotSync({ partitions: 1 })) };
        const reads = [];
        for (const k of [2, 3, 5]) for (let i = 0; i < 3; i++) {
          const t = snapshotSync({ partitions: k, cookie: true });
          reads.push({ k, i, used: t.dump.partitions, counts: countStatesSync({ partitions: k }), rows: rows(t),
            cookies: new Set(t.columns.cookie).size, length: t.length });
        }
        console.log(JSON.stringify({ single, reads }));`;
      type Read = { k: number; i: number; used: number; counts: Record<string, number>; rows: string[]; cookies: number; length: number };
      const { single, reads } = JSON.parse(fx.exec(process.execPath, ['--input-type=module', '-e', script])) as
        { single: { counts: Record<string, number>; rows: string[] }; reads: Read[] };
      const now = parseSs(fx.exec('ss', ['-tanH']));
      expect(single.counts).toEqual({ ...Object.fromEntries(Object.keys(single.counts).map((k) => [k, 0])), ...countBy(now), total: now.length });
      for (const r of reads) {
        const which = `K = ${r.k}, read ${r.i + 1}`;
        expect(r.used, which).toBe(r.k);
        expect(r.counts, which).toEqual(single.counts);
        expect(r.rows, which).toEqual(single.rows);
        expect(r.cookies, `${which}: no socket twice`).toBe(r.length);
      }
    });

    it('reads the namespace from outside through procRoot /proc/<pid>/net', async () => {
      const { snapshotSync } = await import('../../src/index.js');
      const table = snapshotSync({ procRoot: `/proc/${fx.pid}/net` });
      expect(table.length).toBe(ss.length);
      const bySs = new Map(ss.map((s) => [key(s), s]));
      for (const row of table) expect(bySs.get(rowKey(row))?.state).toBe(row.state);
    });

    it('keeps IPv4-mapped addresses as IPv6 in the tcp6 table', () => {
      const rows = JSON.parse(cli(['list', '-a', '-6', '--json'], fx).stdout) as Row[];
      const mapped = rows.filter((r) => r.localAddress === '::ffff:127.0.0.1');
      expect(mapped.length).toBeGreaterThan(0);
      for (const r of mapped) {
        expect(r.proto).toBe('tcp6');
        expect(r.remoteAddress).toBe('::ffff:127.0.0.1');
      }
    });
  },
);

// Flooding a listener of backlog 1 in a private namespace: listenOverflows rises by exactly what
// nstat and netstat -s show there, watch reports the increase in the next sample, and
// `sockscope counters` prints what nstat -az prints.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listenQueuesSync, netstatCountersSync, watch, type ListenQueue, type WatchSample } from '../../src/index.js';
import { netlinkReady } from '../helpers/netlink.js';
import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';

const CONNECTS = 10;
const BACKLOG = 1;
// The kernel admits backlog + 1 (sk_acceptq_is_full is ack_backlog > max_ack_backlog).
const DROPPED = CONNECTS - (BACKLOG + 1);

describe.skipIf(!HAS_NETNS || !hasCommand('nstat') || !hasCommand('netstat') || !hasCommand('python3'))(
  'a flooded listener of backlog 1 (skipped without a private namespace, nstat, netstat or python3)',
  () => {
    let fx: Fixture<{ flood: number }>;
    let procRoot: string;
    let before: WatchSample;
    let after: WatchSample;

    /** nstat's absolute values (-a), zeros included (-z), leaving its history alone (-s). */
    function nstat(): Map<string, number> {
      const lines = fx.exec('nstat', ['-asz']).trim().split('\n').slice(1);
      return new Map(lines.map((l) => l.trim().split(/\s+/)).map(([name, value]) => [name!, Number(value)]));
    }

    beforeAll(async () => {
      fx = await startInNetns<{ flood: number }>(['python3', path.join(ROOT, 'test/fixtures/listen_pressure.py')]);
      procRoot = `/proc/${fx.pid}/net`;
      const samples = watch({ procRoot, intervalMs: 10 });
      before = (await samples.next()).value as WatchSample;
      // The generator waits at its yield until asked again: the flood lands between two samples.
      fx.exec('python3', [path.join(ROOT, 'test/fixtures/flood.py'), String(fx.made.flood), String(CONNECTS)]);
      after = (await samples.next()).value as WatchSample;
      await samples.return();
    });
    afterAll(() => fx?.stop());

    it('raises listenOverflows and listenDrops by what nstat and netstat -s show', () => {
      const ns = nstat();
      expect(ns.get('TcpExtListenOverflows')).toBe(DROPPED);
      expect(ns.get('TcpExtListenDrops')).toBe(DROPPED);
      const netstat = fx.exec('netstat', ['-s']);
      expect(netstat).toContain(`    ${DROPPED} times the listen queue of a socket overflowed\n`);
      expect(netstat).toContain(`    ${DROPPED} SYNs to LISTEN sockets dropped\n`);
      const counters = netstatCountersSync({ procRoot });
      expect(counters.TcpExt!.ListenOverflows).toBe(DROPPED);
      expect(counters.TcpExt!.ListenDrops).toBe(DROPPED);
    });

    it('reports the increase in the next watch sample', () => {
      expect(before.increase).toBeNull();
      expect(before.perSecond).toBeNull();
      expect(before.counters.listenOverflows).toBe(0);
      expect(after.counters.listenOverflows).toBe(DROPPED);
      expect(after.increase).toMatchObject({ listenOverflows: DROPPED, listenDrops: DROPPED, syncookiesSent: 0 });
      expect(after.increase!.all.TcpExt!.ListenOverflows).toBe(DROPPED);
      const seconds = (after.elapsedMs - before.elapsedMs) / 1000;
      expect(after.perSecond!.listenOverflows).toBe(DROPPED / seconds);
      expect(after.listeners).toEqual([
        { proto: 'tcp', localAddress: '127.0.0.1', localPort: fx.made.flood, acceptQueue: BACKLOG + 1, backlog: null, full: null, drops: null },
      ]);
      expect(after.states).toBeUndefined();
    });

    it.skipIf(!netlinkReady)('names the listener that dropped them: its drops equal the counters and ss -tlm', () => {
      const out = JSON.parse(cli(['queues', '--json', '--source', 'netlink'], fx).stdout) as { listeners: ListenQueue[] };
      expect(out.listeners).toEqual([
        { proto: 'tcp', localAddress: '127.0.0.1', localPort: fx.made.flood, acceptQueue: BACKLOG + 1, backlog: BACKLOG, full: true, synRecv: 0, drops: DROPPED },
      ]);
      const skmem = /skmem:\(.*\bd(\d+)\)/.exec(fx.exec('ss', ['-tlmnH']));
      expect(Number(skmem![1])).toBe(DROPPED);
      const text = cli(['queues', '--source', 'netlink'], fx).stdout.split('\n');
      expect(text[0]!.split(/\s+/)).toEqual(['Local', 'Address:Port', 'Accept-Q', 'Backlog', 'SYN-Recv', 'Drops', 'Full']);
      expect(text[1]!.split(/\s+/)).toEqual([`127.0.0.1:${fx.made.flood}`, String(BACKLOG + 1), String(BACKLOG), '0', String(DROPPED), 'yes']);
    });

    it('leaves the listener holding backlog + 1 connections', () => {
      expect(listenQueuesSync({ procRoot })).toMatchObject([{ localPort: fx.made.flood, acceptQueue: BACKLOG + 1 }]);
    });

    it('sockscope counters prints what nstat -az prints, under its names', () => {
      const ns = nstat();
      const ours = JSON.parse(cli(['counters', '--json'], fx).stdout) as Record<string, number>;
      // nstat adds /proc/net/snmp6 (Ip6..., Icmp6..., Udp6...) and leaves out a few constants (TcpMaxConn, IpForwarding).
      const shared = [...ns.keys()].filter((name) => !/^(Ip6|Icmp6|Udp6|UdpLite6)/.test(name));
      expect(shared.length).toBeGreaterThan(100);
      for (const name of shared) expect(ours[name], name).toBe(ns.get(name));
      expect(ours.TcpMaxConn).toBe(-1);
    });

    it('sockscope counters PATTERN keeps the names that match, in any case', () => {
      const r = cli(['counters', 'listen'], fx);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => l.split(/\s+/));
      const all = JSON.parse(cli(['counters', '--json'], fx).stdout) as Record<string, number>;
      expect(lines).toEqual(Object.keys(all).filter((n) => /listen/i.test(n)).map((n) => [n, String(all[n])]));
      expect(lines).toContainEqual(['TcpExtListenOverflows', String(DROPPED)]);
      expect(cli(['counters', '^TcpExtListen(Overflows|Drops)$'], fx).stdout).toBe(
        `TcpExtListenOverflows ${DROPPED}\nTcpExtListenDrops     ${DROPPED}\n`,
      );
    });

    it('sockscope watch --json prints one sample a line, --count of them', () => {
      const r = cli(['watch', '0.01', '--count', '2', '--json'], fx);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(2);
      expect(lines[0].counters.listenOverflows).toBe(DROPPED);
      expect(lines[0].increase).toBeNull();
      expect(lines[1].increase.listenOverflows).toBe(0);
      expect(Object.keys(lines[1])).toEqual(['time', 'elapsedMs', 'costMs', 'listeners', 'counters', 'increase', 'perSecond']);
    });
  },
);

describe.skipIf(!HAS_NETNS || !netlinkReady || !hasCommand('python3'))(
  'sockscope watch names the listener that dropped (skipped without a private namespace, netlink or python3)',
  () => {
    let fx: Fixture<{ flood: number }>;
    beforeAll(async () => {
      fx = await startInNetns<{ flood: number }>(['python3', path.join(ROOT, 'test/fixtures/listen_pressure.py'), '--waiting']);
    });
    afterAll(() => fx?.stop());

    it('prints the flooded listener and its drops in the sample after the flood, and no other', () => {
      // Two samples over netlink inside the namespace, the flood between them, printed as watch prints them.
      const script = `
        import { execFileSync } from 'node:child_process';
        import { watch } from ${JSON.stringify(path.join(ROOT, 'dist/index.js'))};
        import { watchLine } from ${JSON.stringify(path.join(ROOT, 'dist/cli/watch.js'))};
        const alive = setInterval(() => {}, 1000); // watch's own timer never keeps a process alive
        const samples = watch({ intervalMs: 10, source: 'netlink' });
        const first = (await samples.next()).value;
        execFileSync('python3', [${JSON.stringify(path.join(ROOT, 'test/fixtures/flood.py'))}, '${fx.made.flood}', '${CONNECTS}']);
        const second = (await samples.next()).value;
        await samples.return();
        clearInterval(alive);
        console.log(watchLine(first, false, undefined));
        console.log(watchLine(second, false, first.listeners));`;
      const [first, second] = fx.exec(process.execPath, ['--input-type=module', '-e', script]).trim().split('\n');
      expect(first).not.toContain('| dropped');
      expect(second).toContain(`  overflows +${DROPPED}  drops +${DROPPED}  `);
      const dropped = /\| dropped {2}(.*?)(?: {2}\| accept queues|$)/.exec(second!);
      expect(dropped?.[1]).toBe(`127.0.0.1:${fx.made.flood} +${DROPPED}`);
    });
  },
);

// sockscope/prometheus scraped while a namespace holds sockets in every TCP state: each gauge must
// equal what ss counts there and each counter what nstat reads.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TCP_STATES } from '../../src/index.js';
import { byName, listenerLabels, nstat, queued, scrape, ssRows, valueOf, type Sample } from '../helpers/metrics.js';
import { netlinkReady } from '../helpers/netlink.js';
import { ALL_STATES, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { countBy } from '../helpers/peers.js';

const scrapeScript = path.join(ROOT, 'test/fixtures/scrape.mjs');

const between = (v: number | undefined, a: number, b: number) => v !== undefined && v >= Math.min(a, b) && v <= Math.max(a, b);

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('nstat') || !hasCommand('python3'))(
  'collector in a namespace holding every TCP state, against ss and nstat (skipped without a private namespace, ss, nstat or python3)',
  () => {
    let fx: Fixture<unknown>;
    beforeAll(async () => {
      fx = await startInNetns(ALL_STATES);
    });
    afterAll(() => fx?.stop());

    const ways = [
      { name: 'scraped inside the namespace (/proc)', netlink: false, run: () => inside({ source: 'proc' }) },
      { name: 'scraped from outside through procRoot /proc/PID/net', netlink: false, run: () => scrape({ procRoot: `/proc/${fx.pid}/net` }) },
      { name: 'scraped from outside through netns { pid }', netlink: false, run: () => scrape({ netns: { pid: fx.pid } }) },
      { name: 'scraped inside the namespace (netlink)', netlink: true, run: () => inside({ source: 'netlink' }) },
    ];
    async function inside(options: object): Promise<Map<string, Sample[]>> {
      return byName(JSON.parse(fx.exec(process.execPath, [scrapeScript, JSON.stringify(options)])));
    }

    for (const way of ways) {
      it.skipIf(way.netlink && !netlinkReady)(`${way.name}: gauges equal ss's figures, counters nstat's`, async () => {
        const [ssBefore, nstatBefore] = [ssRows(fx), nstat(fx)];
        const m = await way.run();
        const [ssAfter, nstatAfter] = [ssRows(fx), nstat(fx)];

        expect(valueOf(m, 'sockscope_scrape_collector_success', { collector: 'sockets' })).toBe(1);
        expect(valueOf(m, 'sockscope_scrape_collector_success', { collector: 'netstat' })).toBe(1);

        const counts = countBy(ssBefore);
        expect(Object.fromEntries(m.get('sockscope_tcp_connection_states')!.map((s) => [s.labels.state, s.value]))).toEqual(
          Object.fromEntries(TCP_STATES.map((s) => [s.toLowerCase(), counts[s] ?? 0])),
        );

        const listeners = ssBefore.filter((r) => r.state === 'LISTEN');
        expect(m.get('sockscope_tcp_listener_accept_queue')).toHaveLength(listeners.length);
        for (const l of listeners) {
          const labels = listenerLabels(l.local);
          expect(valueOf(m, 'sockscope_tcp_listener_accept_queue', labels), `${l.local} Recv-Q`).toBe(l.recvQ);
          // ss reads over netlink, so its Send-Q is the backlog; /proc does not know it.
          expect(valueOf(m, 'sockscope_tcp_listener_backlog', labels), `${l.local} Send-Q`).toBe(way.netlink ? l.sendQ : undefined);
        }
        expect(valueOf(m, 'sockscope_tcp_listeners_omitted')).toBe(0);

        // Queues behind a zero window creep: the totals lie between ss's before and after.
        const rx = valueOf(m, 'sockscope_tcp_rx_queued_bytes');
        const tx = valueOf(m, 'sockscope_tcp_tx_queued_bytes');
        expect(between(rx, queued(ssBefore, 'recvQ'), queued(ssAfter, 'recvQ')), `rx ${rx}`).toBe(true);
        expect(between(tx, queued(ssBefore, 'sendQ'), queued(ssAfter, 'sendQ')), `tx ${tx}`).toBe(true);

        for (const [metric, kernel] of [
          ['netstat_TcpExt_ListenOverflows_total', 'TcpExtListenOverflows'],
          ['netstat_TcpExt_ListenDrops_total', 'TcpExtListenDrops'],
          ['netstat_TcpExt_SyncookiesSent_total', 'TcpExtSyncookiesSent'],
          ['netstat_Tcp_RetransSegs_total', 'TcpRetransSegs'],
          ['netstat_Tcp_OutRsts_total', 'TcpOutRsts'],
        ] as const) {
          const v = valueOf(m, `sockscope_${metric}`);
          expect(between(v, nstatBefore.get(kernel)!, nstatAfter.get(kernel)!), `${metric} ${v}`).toBe(true);
        }
        // The backlog-0 listener drops every SYN beyond its one queued connection.
        expect(valueOf(m, 'sockscope_netstat_TcpExt_ListenDrops_total')).toBeGreaterThan(0);
      });
    }
  },
);

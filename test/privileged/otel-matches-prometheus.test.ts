// sockscope/otel and sockscope/prometheus read the same namespace, holding sockets in every TCP
// state: each OpenTelemetry instrument must carry the figure of its Prometheus metric.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TCP_STATES } from '../../src/index.js';
import { observeSockets } from '../../src/metrics/otel.js';
import { byName, scrape, valueOf, type Sample } from '../helpers/metrics.js';
import { netlinkReady } from '../helpers/netlink.js';
import { ALL_STATES, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { otelHarness, pointOf, type OtelHarness, type Point } from '../helpers/otel.js';

type Points = Map<string, Point[]>;
const fixtureScript = path.join(ROOT, 'test/fixtures/otel-and-prometheus.mjs');

const between = (v: number | undefined, a: number | undefined, b: number | undefined) =>
  v !== undefined && a !== undefined && b !== undefined && v >= Math.min(a, b) && v <= Math.max(a, b);

/** Prometheus counter (default prefix) → OpenTelemetry observable counter. */
const COUNTERS: [string, string][] = [
  ['sockscope_netstat_TcpExt_ListenOverflows_total', 'sockscope.tcp.listen.overflows'],
  ['sockscope_netstat_TcpExt_ListenDrops_total', 'sockscope.tcp.listen.drops'],
  ['sockscope_netstat_TcpExt_SyncookiesSent_total', 'sockscope.tcp.syncookies.sent'],
  ['sockscope_netstat_Tcp_RetransSegs_total', 'sockscope.tcp.segments.retransmitted'],
  ['sockscope_netstat_Tcp_OutRsts_total', 'sockscope.tcp.resets.sent'],
];

describe.skipIf(!HAS_NETNS || !hasCommand('python3'))(
  'OpenTelemetry against Prometheus on a namespace holding every TCP state (skipped without a private namespace or python3)',
  () => {
    let fx: Fixture<unknown>;
    let otel: OtelHarness;
    beforeAll(async () => {
      fx = await startInNetns(ALL_STATES);
      otel = otelHarness();
    });
    afterAll(async () => {
      await otel?.shutdown();
      await fx?.stop();
    });

    /** Both collections of OpenTelemetry around one Prometheus scrape agree, figure by figure. */
    function expectSameFigures(before: Points, prom: Map<string, Sample[]>, after: Points, netlink: boolean) {
      for (const collector of ['sockets', 'netstat']) {
        expect(pointOf(before, 'sockscope.collector.success', { collector })).toBe(1);
        expect(valueOf(prom, 'sockscope_scrape_collector_success', { collector })).toBe(1);
      }
      const states = (m: Points) => Object.fromEntries(m.get('sockscope.tcp.connections')!.map((p) => [p.attributes.state, p.value]));
      expect(states(before)).toEqual(Object.fromEntries(prom.get('sockscope_tcp_connection_states')!.map((s) => [s.labels.state, s.value])));
      expect(Object.keys(states(before))).toEqual(TCP_STATES.map((s) => s.toLowerCase()));
      for (const state of ['established', 'listen', 'time_wait', 'close_wait', 'fin_wait2']) expect(states(before)[state], state).toBeGreaterThan(0);

      const listeners = (name: string) =>
        (prom.get(name) ?? []).map((s) => ({ attributes: { 'server.address': s.labels.address, 'server.port': Number(s.labels.port) }, value: s.value }));
      expect(before.get('sockscope.tcp.listener.accept_queue')).toEqual(listeners('sockscope_tcp_listener_accept_queue'));
      expect(before.get('sockscope.tcp.listener.accept_queue')!.length).toBeGreaterThan(0);
      // The backlog is known over netlink only; /proc has no such column.
      expect(before.get('sockscope.tcp.listener.backlog') ?? []).toEqual(listeners('sockscope_tcp_listener_backlog'));
      expect((before.get('sockscope.tcp.listener.backlog') ?? []).length).toBe(netlink ? before.get('sockscope.tcp.listener.accept_queue')!.length : 0);
      expect(pointOf(before, 'sockscope.tcp.listeners.omitted')).toBe(valueOf(prom, 'sockscope_tcp_listeners_omitted'));

      // Queues behind a zero window and the kernel's counters may move between reads.
      for (const [direction, name] of [['receive', 'sockscope_tcp_rx_queued_bytes'], ['transmit', 'sockscope_tcp_tx_queued_bytes']] as const) {
        const attrs = { 'network.io.direction': direction };
        expect(between(valueOf(prom, name), pointOf(before, 'sockscope.tcp.queued', attrs), pointOf(after, 'sockscope.tcp.queued', attrs)), name).toBe(true);
      }
      for (const [promName, otelName] of COUNTERS) {
        expect(between(valueOf(prom, promName), pointOf(before, otelName), pointOf(after, otelName)), otelName).toBe(true);
      }
    }

    it('from outside through netns { pid } (/proc): the same figures, named in OpenTelemetry\'s style', async () => {
      const options = { netns: { pid: fx.pid } };
      observeSockets(otel.meter, options);
      const before = await otel.collect();
      const prom = await scrape(options);
      const after = await otel.collect();
      expectSameFigures(before, prom, after, false);
    });

    it.skipIf(!netlinkReady)('inside the namespace over netlink: the same figures, the backlog included', () => {
      const points = (list: { name: string; points: Point[] }[]): Points => new Map(list.filter((m) => m.points.length).map((m) => [m.name, m.points]));
      const out = JSON.parse(fx.exec(process.execPath, [fixtureScript, JSON.stringify({ source: 'netlink' })])) as {
        before: { name: string; points: Point[] }[];
        prom: { name: string; values: Sample[] }[];
        after: { name: string; points: Point[] }[];
      };
      expectSameFigures(points(out.before), byName(out.prom), points(out.after), true);
    });
  },
);

// sockscope/prometheus: scraped while a namespace holds sockets in every TCP state, each gauge must
// equal what ss counts there and each counter what nstat reads; a failed read must not fail a scrape.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { snapshotSync, TCP_STATES } from '../dist/index.js';
import { registerSockscopeMetrics } from '../dist/metrics/prometheus.js';
import { byName, listenerLabels, nstat, ssRows, valueOf, type Sample } from './helpers/metrics.js';
import { HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from './helpers/netns.js';
import { countBy, parseSs, type PeerRow } from './helpers/peers.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');
const scrapeScript = path.join(ROOT, 'test/fixtures/scrape.mjs');

async function scrape(options: Parameters<typeof registerSockscopeMetrics>[1]): Promise<Map<string, Sample[]>> {
  const registry = new Registry();
  registerSockscopeMetrics(registry, options);
  return byName(await registry.getMetricsAsJSON());
}

/** Netlink is on main once a netlink read says it came from netlink. */
function netlinkReady(): boolean {
  try {
    return snapshotSync({ source: 'netlink', states: ['LISTEN'] }).source === 'netlink';
  } catch {
    return false;
  }
}

const queued = (rows: PeerRow[], q: 'recvQ' | 'sendQ') =>
  rows.filter((r) => r.state !== 'LISTEN').reduce((sum, r) => sum + r[q], 0);
const between = (v: number | undefined, a: number, b: number) => v !== undefined && v >= Math.min(a, b) && v <= Math.max(a, b);

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('nstat') || !hasCommand('python3'))(
  'collector in a namespace holding every TCP state, against ss and nstat (skipped without a private namespace, ss, nstat or python3)',
  () => {
    let fx: Fixture<unknown>;
    beforeAll(async () => {
      fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/all_states.py')]);
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
      it.skipIf(way.netlink && !netlinkReady())(`${way.name}: gauges equal ss's figures, counters nstat's`, async () => {
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

describe('collector on recorded tables', () => {
  const ss = parseSs(readFileSync(path.join(recorded, 'ss-tan.txt'), 'utf8'));
  const listeners = ss.filter((r) => r.state === 'LISTEN');

  it('exports every state, zeros included, and the queued bytes of every socket but listeners', async () => {
    const m = await scrape({ procRoot: recorded });
    const counts = countBy(ss);
    expect(m.get('sockscope_tcp_connection_states')!.map((s) => [s.labels.state, s.value])).toEqual(
      TCP_STATES.map((s) => [s.toLowerCase(), counts[s] ?? 0]),
    );
    expect(valueOf(m, 'sockscope_tcp_rx_queued_bytes')).toBe(queued(ss, 'recvQ'));
    expect(valueOf(m, 'sockscope_tcp_tx_queued_bytes')).toBe(queued(ss, 'sendQ'));
  });

  it('keeps serving the socket figures when the counters cannot be read, and says which read failed', async () => {
    const errors: string[] = [];
    const m = await scrape({ procRoot: recorded, onError: (e, c) => errors.push(`${c} ${(e as { code?: string }).code}`) });
    expect(errors).toEqual(['netstat ENOENT']); // a recording holds no netstat or snmp file
    expect(valueOf(m, 'sockscope_scrape_collector_success', { collector: 'sockets' })).toBe(1);
    expect(valueOf(m, 'sockscope_scrape_collector_success', { collector: 'netstat' })).toBe(0);
    expect(m.get('sockscope_netstat_Tcp_OutRsts_total')).toEqual([]);
    expect(m.get('sockscope_tcp_listener_accept_queue')).toHaveLength(listeners.length);
  });

  it('leaves every series of a failed read out rather than reporting zeros', async () => {
    const m = await scrape({ procRoot: '/nonexistent-sockscope' });
    for (const [name, samples] of m) {
      if (name.startsWith('sockscope_scrape_collector_')) continue;
      expect(samples, name).toEqual([]);
    }
    expect(m.get('sockscope_scrape_collector_success')!.map((s) => s.value)).toEqual([0, 0]);
    expect(m.get('sockscope_scrape_collector_duration_seconds')!.map((s) => s.labels.collector)).toEqual(['sockets', 'netstat']);
  });

  it('bounds the listener series at maxListeners, lowest ports first, and counts the rest', async () => {
    const m = await scrape({ procRoot: recorded, maxListeners: 2 });
    const lowest = listeners.map((l) => listenerLabels(l.local)).sort((a, b) => Number(a.port) - Number(b.port)).slice(0, 2);
    expect(m.get('sockscope_tcp_listener_accept_queue')!.map((s) => s.labels)).toEqual(lowest);
    expect(valueOf(m, 'sockscope_tcp_listeners_omitted')).toBe(listeners.length - 2);
  });

  it('reads afresh at every scrape', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sockscope-'));
    try {
      for (const f of ['tcp', 'tcp6']) copyFileSync(path.join(recorded, f), path.join(dir, f));
      const registry = new Registry();
      registerSockscopeMetrics(registry, { procRoot: dir });
      const listen = async () => valueOf(byName(await registry.getMetricsAsJSON()), 'sockscope_tcp_connection_states', { state: 'listen' });
      expect(await listen()).toBe(listeners.length);
      const header = readFileSync(path.join(dir, 'tcp'), 'utf8').split('\n')[0];
      writeFileSync(path.join(dir, 'tcp'), `${header}\n`);
      const ipv6 = listeners.filter((l) => l.local.split(':').length > 2); // `::1:35145`, not `127.0.0.1:35145`
      expect(await listen()).toBe(ipv6.length);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('takes a prefix, and rejects bad options before any scrape', () => {
    const registry = new Registry();
    registerSockscopeMetrics(registry, { prefix: 'app_', procRoot: recorded });
    expect(registry.getMetricsAsArray().every((m) => m.name.startsWith('app_tcp_') || m.name.startsWith('app_netstat_') || m.name.startsWith('app_scrape_'))).toBe(true);
    expect(() => registerSockscopeMetrics(new Registry(), { prefix: 'my-app_' })).toThrow(
      new RangeError('Expected a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*) for prefix but received "my-app_" of type string'),
    );
    expect(() => registerSockscopeMetrics(new Registry(), { maxListeners: -1 })).toThrow(
      new RangeError('Expected a non-negative integer for maxListeners but received -1 of type number'),
    );
    expect(() => registerSockscopeMetrics(new Registry(), { maxListener: 5 } as object)).toThrow(/^Unknown option "maxListener" for registerSockscopeMetrics\(\); did you mean "maxListeners"\?/);
    expect(() => registerSockscopeMetrics(new Registry(), { states: ['LISTEN'] } as object)).toThrow(TypeError);
    expect(() => registerSockscopeMetrics(new Registry(), { source: 'ss' } as object)).toThrow(RangeError);
  });
});

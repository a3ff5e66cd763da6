// sockscope/prometheus on recorded tables: every state and queue exported, a failed read leaves
// its series out without failing the scrape, options checked before any scrape.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { TCP_STATES } from '../../src/index.js';
import { registerSockscopeMetrics } from '../../src/metrics/prometheus.js';
import { byName, listenerLabels, queued, scrape, valueOf } from '../helpers/metrics.js';
import { ROOT } from '../helpers/netns.js';
import { countBy, parseSs } from '../helpers/peers.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');

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

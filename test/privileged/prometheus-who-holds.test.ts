// The collector's bounded "who holds the sockets" series, in the port_pressure namespace: sockets
// per state on allowlisted ports, the top remote prefixes with `other`, the destinations holding
// the most ephemeral ports, and each listener's drops, against ss's rows there; and the same top-K
// figures as OpenTelemetry instruments.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import type { Point } from '../helpers/otel.js';
import { parseSs, type PeerRow } from '../helpers/peers.js';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'bounded series of who holds the sockets (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<{ timeWait: number; established: number; range: [number, number] }>;
    let metrics: Map<string, Sample[]>;
    let otel: Map<string, Point[]>;
    let ss: PeerRow[];

    beforeAll(async () => {
      fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/port_pressure.py')]);
      // The Prometheus collector and the OpenTelemetry instruments, with the same options.
      const script = `
        import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
        import { Registry } from 'prom-client';
        import { observeSockets } from 'sockscope/otel';
        import { registerSockscopeMetrics } from 'sockscope/prometheus';
        const options = { ports: [8080], topRemotePrefixes: 2, topPortPressure: 2 };
        const registry = new Registry();
        registerSockscopeMetrics(registry, options);
        const json = await registry.getMetricsAsJSON();
        const reader = new (class extends MetricReader { async onForceFlush() {} async onShutdown() {} })();
        observeSockets(new MeterProvider({ readers: [reader] }).getMeter('test'), options);
        const { resourceMetrics } = await reader.collect();
        const otel = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }))]);
        console.log(JSON.stringify([json.map((m) => [m.name, m.values.map((v) => ({ labels: v.labels, value: v.value }))]), otel]));`;
      const [prom, points] = JSON.parse(fx.exec(process.execPath, ['--input-type=module', '-e', script]));
      metrics = new Map(prom);
      otel = new Map(points);
      ss = parseSs(fx.exec('ss', ['-tanH']));
    });
    afterAll(() => fx?.stop());

    it('reads every collector in use', () => {
      expect(metrics.get('sockscope_scrape_collector_success')).toEqual(
        ['sockets', 'netstat', 'prefixes', 'ports'].map((collector) => ({ labels: { collector }, value: 1 })),
      );
    });

    it('counts the allowlisted port per state, as ss', () => {
      const got = metrics.get('sockscope_tcp_port_connections')!;
      expect(got).toHaveLength(11);
      const on8080 = ss.filter((r) => r.local.endsWith(':8080'));
      for (const { labels, value } of got) {
        expect(labels.port).toBe('8080');
        expect(value, labels.state).toBe(on8080.filter((r) => r.state.toLowerCase() === labels.state).length);
      }
      expect(got.find((s) => s.labels.state === 'established')!.value).toBe(18 + fx.made.established);
    });

    it('gives the top two remote prefixes of established connections and the rest as other', () => {
      expect(metrics.get('sockscope_tcp_remote_prefix_connections')).toEqual([
        // Both ends of the 60 connections of 127.0.0.9, and the clients' own ends toward 127.0.0.1.
        { labels: { prefix: '127.0.0.0/24' }, value: 2 * fx.made.established + 18 },
        { labels: { prefix: '127.0.1.0/24' }, value: 8 },
        { labels: { prefix: 'other' }, value: 10 },
      ]);
    });

    it('gives the destinations holding the most ephemeral ports, and the usable range', () => {
      const usable = fx.made.range[1] - fx.made.range[0] + 1 - 11;
      const used = fx.made.timeWait + fx.made.established;
      expect(metrics.get('sockscope_tcp_ephemeral_ports_usable')).toEqual([{ labels: {}, value: usable }]);
      expect(metrics.get('sockscope_tcp_ephemeral_port_used')).toEqual([
        { labels: { local_address: '127.0.0.9', remote_address: '127.0.0.1', remote_port: '8080' }, value: used },
        { labels: { local_address: '127.0.2.7', remote_address: '127.0.0.1', remote_port: '8080' }, value: 7 },
      ]);
      expect(metrics.get('sockscope_tcp_ephemeral_port_use_ratio')![0]!.value).toBe(used / usable);
    });

    it('observes the same top-K figures through OpenTelemetry, and reads their collectors', () => {
      expect(otel.get('sockscope.tcp.remote_prefix.connections')).toEqual(
        metrics.get('sockscope_tcp_remote_prefix_connections')!.map(({ labels, value }) => ({ attributes: { prefix: labels.prefix }, value })),
      );
      const destinations = (name: string) =>
        metrics.get(name)!.map(({ labels, value }) => ({
          attributes: { 'client.address': labels.local_address, 'server.address': labels.remote_address, 'server.port': Number(labels.remote_port) },
          value,
        }));
      expect(otel.get('sockscope.tcp.ephemeral_port.used')).toEqual(destinations('sockscope_tcp_ephemeral_port_used'));
      expect(otel.get('sockscope.tcp.ephemeral_port.use_ratio')).toEqual(destinations('sockscope_tcp_ephemeral_port_use_ratio'));
      expect(otel.get('sockscope.tcp.ephemeral_port.used')).toHaveLength(2);
      expect(otel.get('sockscope.tcp.ephemeral_ports.usable')).toEqual([{ attributes: {}, value: fx.made.range[1] - fx.made.range[0] + 1 - 11 }]);
      expect(otel.get('sockscope.collector.success')).toEqual(
        ['sockets', 'netstat', 'prefixes', 'ports'].map((collector) => ({ attributes: { collector }, value: 1 })),
      );
    });

    it('gives each listener its drops, as ss -tlm', () => {
      const drops = Number(/\bd(\d+)\)/.exec(fx.exec('ss', ['-tlmnH']))![1]);
      expect(metrics.get('sockscope_tcp_listener_drops')).toEqual([{ labels: { address: '127.0.0.1', port: '8080' }, value: drops }]);
    });
  },
);

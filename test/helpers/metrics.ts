// Scraped samples by metric name, and what ss and nstat say the same figures are.
import { Registry } from 'prom-client';

import { registerSockscopeMetrics, type SockscopeMetricsOptions } from '../../src/metrics/prometheus.js';
import type { Fixture } from './netns.js';
import { parseSs, type PeerRow } from './peers.js';

export interface Sample {
  labels: Record<string, string | number>;
  value: number;
}

/** registry.getMetricsAsJSON()'s output as name → samples. */
export function byName(json: { name: string; values: Sample[] }[]): Map<string, Sample[]> {
  return new Map(json.map((m) => [m.name, m.values.map(({ labels, value }) => ({ labels, value }))]));
}

/** The one sample of `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(samples: Map<string, Sample[]>, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.get(name)?.find((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))?.value;
}

/** `ss -tanH` in the fixture's namespace. */
export function ssRows(fx: Fixture<unknown>): PeerRow[] {
  return parseSs(fx.exec('ss', ['-tanH']));
}

/** `nstat -azs` (absolute, zeros, history untouched) in the fixture's namespace: `TcpExtListenDrops` → value. */
export function nstat(fx: Fixture<unknown>): Map<string, number> {
  const rows = fx.exec('nstat', ['-azs']).trim().split('\n').slice(1);
  return new Map(rows.map((l) => l.trim().split(/\s+/)).map(([k, v]) => [k!, Number(v)]));
}

/** The Prometheus text format's sample lines (`name{k="v",...} value`) as name → samples. */
export function parseExposition(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!]));
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), { labels, value: Number(m[3]) }]);
  }
  return out;
}

/** `addr:port` of ss (wildcards already mapped by parseSs) as the collector's address and port labels. */
export function listenerLabels(local: string): { address: string; port: string } {
  const i = local.lastIndexOf(':');
  return { address: local.slice(0, i), port: local.slice(i + 1) };
}

/** One scrape of a fresh registry holding sockscope's collector, by metric name. */
export async function scrape(options?: SockscopeMetricsOptions): Promise<Map<string, Sample[]>> {
  const registry = new Registry();
  registerSockscopeMetrics(registry, options);
  return byName(await registry.getMetricsAsJSON());
}

/** The bytes queued in `q` over every socket but listeners, as the collector sums them. */
export const queued = (rows: PeerRow[], q: 'recvQ' | 'sendQ') =>
  rows.filter((r) => r.state !== 'LISTEN').reduce((sum, r) => sum + r[q], 0);

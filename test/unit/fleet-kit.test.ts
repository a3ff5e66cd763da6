// docs/fleet: promtool accepts the scrape config and the rules and passes the rules' unit tests
// (where promtool is installed); and every metric a rule or a dashboard query names is one that
// `sockscope serve` really emits, scraped here with listeners present.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { hasCommand, ROOT } from '../helpers/netns.js';
import { serve, type Served } from '../helpers/serve.js';

const FLEET = path.join(ROOT, 'docs/fleet');
const read = (file: string) => readFileSync(path.join(FLEET, file), 'utf8');

/** Series Prometheus makes itself for every target, beside the exporter's. */
const PROMETHEUS_MADE = ['up'];
const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers left once strings, label matchers,
 * ranges, grouping lists, Grafana variables and numbers are gone, that are no function call (an
 * identifier before `(`) and no keyword.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => !m[2] && !PROMQL_WORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!);
  return [...new Set(names)].sort();
}

interface Rule { alert?: string; record?: string; expr: string }

const rules = (parse(read('alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

interface Panel { title: string; targets?: { expr: string }[]; panels?: Panel[] }
interface Dashboard { panels: Panel[]; templating: { list: { name: string; query?: string | { query: string } }[] } }
const dashboard = JSON.parse(read('grafana-dashboard.json')) as Dashboard;
const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const queries: [string, string][] = [
  ...panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as [string, string])),
  ...dashboard.templating.list
    .map((v) => (typeof v.query === 'object' ? v.query.query : v.query))
    .filter((q): q is string => typeof q === 'string' && q.startsWith('label_values('))
    .map((q) => [`variable ${q}`, q.replace(/^label_values\(([^,]+),.*\)$/, '$1')] as [string, string]),
];

describe('the PromQL name reader', () => {
  it('keeps metric names and drops functions, labels, ranges, groupings and variables', () => {
    expect(metricNames('sum by (instance) (rate(a_total{x="y",instance=~"$instance"}[$__rate_interval])) / on (port) b > 0 and up{job="j"} == 0')).toEqual(
      ['a_total', 'b', 'up'],
    );
  });
});

describe('docs/fleet', () => {
  let served: Served;
  let emitted: Set<string>;
  const listeners: net.Server[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const l = net.createServer().listen({ host: '127.0.0.1', port: 0 });
      await once(l, 'listening');
      listeners.push(l);
    }
    served = await serve(['--top-destinations', '5', '--top-prefixes', '5', '--count-ports', '443']);
    const text = await (await fetch(served.url)).text();
    emitted = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? \S+$/gm)].map((m) => m[1]!));
  });
  afterAll(async () => {
    await served?.stop();
    for (const l of listeners) l.close();
  });

  it('reads a rule from every group and a query from every panel', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'SockscopeListenOverflows', 'SockscopeAcceptQueueFull', 'SockscopeCloseWaitPile', 'SockscopeTimeWaitPile', 'SockscopeEphemeralPortsRunningOut', 'SockscopeReadFailing', 'SockscopeExporterDown',
    ]);
    expect(panels(dashboard.panels).filter((p) => !(p.targets ?? []).length).map((p) => p.title)).toEqual([]);
  });

  it('scrapes the exporter with the metrics the kit relies on, listener series included', () => {
    expect(emitted).toContain('sockscope_tcp_listener_accept_queue');
    expect(emitted).toContain('sockscope_netstat_TcpExt_ListenOverflows_total');
  });

  it.each(rules.map((r) => [r.alert ?? r.record, r.expr]))('rule %s names only metrics the exporter emits', (_, expr) => {
    const names = metricNames(expr!);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !emitted.has(n) && !PROMETHEUS_MADE.includes(n))).toEqual([]);
  });

  it.each(queries)('dashboard query of %s names only metrics the exporter emits', (_, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !emitted.has(n))).toEqual([]);
  });

  describe.skipIf(!hasCommand('promtool'))('promtool (skipped where it is not installed: apt-get install prometheus)', () => {
    const promtool = (args: string[]) => spawnSync('promtool', args, { cwd: FLEET, encoding: 'utf8', timeout: 30_000 });

    it('accepts the rules', () => {
      const r = promtool(['check', 'rules', 'alerts.yml']);
      expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(r.status).toBe(0);
    });

    it('accepts the scrape config and the target files', () => {
      const r = promtool(['check', 'config', 'prometheus.yml']);
      expect(r.stdout + r.stderr).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
      expect(r.status).toBe(0);
      for (const file of readdirSync(path.join(FLEET, 'targets'))) {
        const groups = parse(read(`targets/${file}`)) as { targets: string[] }[];
        expect(groups.flatMap((g) => g.targets).every((t) => /^[\w.-]+:\d+$/.test(t)), file).toBe(true);
      }
    });

    it('passes the rules\' unit tests: each alert fires on its series, and only there', () => {
      const r = promtool(['test', 'rules', 'alerts.test.yml']);
      expect(r.stdout + r.stderr).toContain('SUCCESS');
      expect(r.status).toBe(0);
    });
  });
});

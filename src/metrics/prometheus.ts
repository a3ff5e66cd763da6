// `sockscope/prometheus`: a prom-client collector. Every figure is read at scrape time, in collect();
// a read that fails leaves its series out of that scrape and is reported as a metric, as
// node_exporter reports a failed collector, so one bad read never fails the whole scrape.
import { Counter, Gauge, type Registry } from 'prom-client';

import type { CountByResult } from '../count-by.js';
import type { PortPressure, PortPressureResult } from '../port-pressure.js';
import { TCP_STATES } from '../states.js';
import { unixListenQueues, unixListenersByName } from '../unix-queues.js';
import { invalid } from '../validate.js';
import { checkMetricsOptions, prefixLabel, timedRead, topKReads, type Collector, type CollectorOptions, type Outcome, type TopKOptions } from './collect.js';
import { readSocketFigures, type SocketFigures } from './socket-figures.js';
import { readTcpCounters, type TcpCounters } from './tcp-counters.js';

/**
 * Options of registerSockscopeMetrics: where to read (as every read), and how to name and bound the
 * series. The top-K series: `topRemotePrefixes` exports `<prefix>tcp_remote_prefix_connections{prefix}`,
 * `topPortPressure` `<prefix>tcp_ephemeral_port_used` and `_use_ratio` (labelled by local_address,
 * remote_address and remote_port) and `<prefix>tcp_ephemeral_ports_usable`.
 */
export interface SockscopeMetricsOptions extends CollectorOptions, TopKOptions {
  /** Put before every metric name. @default 'sockscope_' */
  prefix?: string;
  /**
   * Also export each UNIX listener's accept queue and backlog (`<prefix>unix_listener_accept_queue`
   * and `_backlog`, labelled by `path`: one series each per listener, bounded by `maxListeners`),
   * read by a third collector, `unix`. @default false
   */
  unix?: boolean;
  /**
   * Export the sockets on these local ports per state (`<prefix>tcp_port_connections{port,state}`):
   * an allowlist, so at most 11 series a port. @default none
   */
  ports?: number[];
}

export type { Collector } from './collect.js';

const EXTRA_OPTIONS = ['prefix', 'unix', 'ports'] as const;
const METRIC_NAME_PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** The kernel counters, named as node_exporter's netstat collector names them (plus `_total`). */
const COUNTERS: Record<keyof TcpCounters, { name: string; help: string }> = {
  ListenOverflows: {
    name: 'netstat_TcpExt_ListenOverflows_total',
    help: 'Handshakes completed while the listener\'s accept queue was full (TcpExt ListenOverflows).',
  },
  ListenDrops: {
    name: 'netstat_TcpExt_ListenDrops_total',
    help: 'SYNs and handshake completions dropped at a listener, overflows included (TcpExt ListenDrops).',
  },
  SyncookiesSent: {
    name: 'netstat_TcpExt_SyncookiesSent_total',
    help: 'SYN cookies sent because a SYN queue was full (TcpExt SyncookiesSent).',
  },
  RetransSegs: { name: 'netstat_Tcp_RetransSegs_total', help: 'TCP segments retransmitted (Tcp RetransSegs).' },
  OutRsts: { name: 'netstat_Tcp_OutRsts_total', help: 'TCP segments sent with RST set (Tcp OutRsts).' },
};


/**
 * One read per scrape, whatever the number of metrics it feeds: prom-client's Registry calls every
 * metric's collect() at once (Promise.all), so they all find the read already in flight; it is
 * forgotten once it settles, so the next scrape reads afresh. Never rejects.
 */
function perScrape<T>(read: () => Promise<T>, collector: Collector, onError?: SockscopeMetricsOptions['onError']) {
  let inFlight: Promise<Outcome<T>> | undefined;
  return () =>
    (inFlight ??= timedRead(read, collector, onError).finally(() => {
      inFlight = undefined;
    }));
}

/** Makes gauges over one per-scrape read: each set from the read's value, empty when the read failed. */
function gaugeOver<T>(read: () => Promise<Outcome<T>>, prefix: string, registers: Registry[]) {
  return (name: string, help: string, labelNames: string[], set: (g: Gauge, value: T) => void) =>
    new Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers,
      async collect() {
        const { value } = await read();
        clear(this);
        if (value) set(this, value);
      },
    });
}

/** Empties a metric for this scrape; `remove({})` drops the sample an unlabelled metric keeps after reset(). */
function clear(metric: Gauge | Counter): void {
  metric.reset();
  metric.remove({});
}

function checkOptions(options: unknown) {
  const { read, maxListeners, onError, top } = checkMetricsOptions(options, 'registerSockscopeMetrics', EXTRA_OPTIONS);
  const o = (options ?? {}) as SockscopeMetricsOptions;
  const prefix = o.prefix ?? 'sockscope_';
  if (typeof prefix !== 'string') throw invalid(TypeError, 'a string', 'prefix', prefix);
  if (!METRIC_NAME_PREFIX.test(prefix)) throw invalid(RangeError, 'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', 'prefix', prefix);
  if (o.unix !== undefined && typeof o.unix !== 'boolean') throw invalid(TypeError, 'a boolean', 'unix', o.unix);
  const figures = { ...read, ...(o.ports !== undefined && { ports: o.ports }) };
  return { read, figures, prefix, maxListeners, onError, unix: o.unix === true, top };
}

/**
 * Registers sockscope's metrics on `registry`: TCP connections per state, queued bytes, listener
 * queues and the kernel's listen and retransmit counters, all read when the registry is scraped.
 * Never one series per connection: per state, and per listener up to `maxListeners`.
 */
export function registerSockscopeMetrics(registry: Registry, options?: SockscopeMetricsOptions): void {
  const o = checkOptions(options);
  const { read, prefix, maxListeners, onError, unix: withUnix } = o;
  const sockets = perScrape(() => readSocketFigures(o.figures), 'sockets', onError);
  const netstat = perScrape(() => readTcpCounters(read), 'netstat', onError);
  const unix = perScrape(() => unixListenQueues(read), 'unix', onError);
  const registers = [registry];

  /** A gauge over the socket figures, empty when their read failed. */
  const socketGauge = gaugeOver(sockets, prefix, registers);

  socketGauge('tcp_connection_states', 'TCP connections per state (as node_exporter tcpstat\'s node_tcp_connection_states).', ['state'], (g, f) => {
    for (const s of TCP_STATES) g.set({ state: s.toLowerCase() }, f.states[s]);
  });
  socketGauge('tcp_rx_queued_bytes', 'Bytes received and not yet read by the application, over every TCP socket but listeners.', [], (g, f) =>
    g.set(f.rxQueuedBytes),
  );
  socketGauge('tcp_tx_queued_bytes', 'Bytes sent and not yet acknowledged, over every TCP socket but listeners.', [], (g, f) =>
    g.set(f.txQueuedBytes),
  );
  const listenerGauge = (name: string, help: string, value: (l: SocketFigures['listeners'][number]) => number | null) =>
    socketGauge(name, help, ['address', 'port'], (g, f) => {
      for (const l of f.listeners.slice(0, maxListeners)) {
        const v = value(l);
        if (v !== null) g.set({ address: l.address, port: String(l.port) }, v);
      }
    });
  listenerGauge('tcp_listener_accept_queue', 'Connections waiting for accept() on a TCP listener (ss -lt Recv-Q).', (l) => l.acceptQueue);
  listenerGauge('tcp_listener_backlog', 'The listen() backlog of a TCP listener (ss -lt Send-Q); absent when read from /proc.', (l) => l.backlog);
  listenerGauge('tcp_listener_drops', 'Packets the kernel dropped for a TCP listener since it was created, accept-queue overflows included (sk_drops, ss -tlm d); absent when read from /proc.', (l) => l.drops);
  if (o.figures.ports?.length) {
    socketGauge('tcp_port_connections', 'TCP sockets on an allowlisted local port, per state.', ['port', 'state'], (g, f) => {
      for (const p of f.portStates) g.set({ port: String(p.port), state: p.state.toLowerCase() }, p.count);
    });
  }
  socketGauge('tcp_listeners_omitted', `TCP listeners beyond maxListeners (${maxListeners}), left without series.`, [], (g, f) =>
    g.set(Math.max(0, f.listeners.length - maxListeners)),
  );

  for (const [field, { name, help }] of Object.entries(COUNTERS) as [keyof TcpCounters, { name: string; help: string }][]) {
    new Counter({
      name: prefix + name,
      help,
      registers,
      async collect() {
        const { value } = await netstat();
        clear(this);
        if (value) this.inc(value[field]);
      },
    });
  }

  if (withUnix) registerUnixListenerGauges(prefix, maxListeners, registers, unix);
  const topK = topKReads(read, o.top);
  const prefixes = perScrape(topK.prefixes, 'prefixes', onError);
  if (o.top.topRemotePrefixes) registerPrefixGauges(prefix, registers, prefixes);
  const ports = perScrape(topK.ports, 'ports', onError);
  if (o.top.topPortPressure) registerPortPressureGauges(prefix, registers, ports);

  // The collectors in use, in this order in the scrape metrics; all read at once.
  const collectors: [Collector, () => Promise<Outcome<unknown>>][] = [['sockets', sockets], ['netstat', netstat]];
  if (withUnix) collectors.push(['unix', unix]);
  if (o.top.topRemotePrefixes) collectors.push(['prefixes', prefixes]);
  if (o.top.topPortPressure) collectors.push(['ports', ports]);
  const outcomes = async () => {
    const done = await Promise.all(collectors.map(([, read]) => read()));
    return Object.fromEntries(collectors.map(([name], i) => [name, done[i]!]));
  };
  new Gauge({
    name: `${prefix}scrape_collector_success`,
    help: 'Whether a sockscope read succeeded in this scrape (1) or failed (0), as node_exporter\'s node_scrape_collector_success.',
    labelNames: ['collector'],
    registers,
    async collect() {
      for (const [collector, o] of Object.entries(await outcomes())) this.set({ collector }, o.error ? 0 : 1);
    },
  });
  new Gauge({
    name: `${prefix}scrape_collector_duration_seconds`,
    help: 'How long a sockscope read took in this scrape, as node_exporter\'s node_scrape_collector_duration_seconds.',
    labelNames: ['collector'],
    registers,
    async collect() {
      for (const [collector, o] of Object.entries(await outcomes())) this.set({ collector }, o.seconds);
    },
  });
}

/** The top remote prefixes of ESTABLISHED connections, and the rest as `prefix="other"`. */
function registerPrefixGauges(prefix: string, registers: Registry[], read: () => Promise<Outcome<CountByResult>>): void {
  gaugeOver(read, prefix, registers)(
    'tcp_remote_prefix_connections',
    'ESTABLISHED TCP connections per remote /24 (IPv6 /64), the topRemotePrefixes largest, the rest as prefix="other".',
    ['prefix'],
    (g, groups) => {
      for (const group of groups) g.set({ prefix: prefixLabel(group) }, group.count);
    },
  );
}

/** The destinations holding the most ephemeral ports, and the usable range's size. */
function registerPortPressureGauges(prefix: string, registers: Registry[], read: () => Promise<Outcome<PortPressureResult>>): void {
  const gauge = gaugeOver(read, prefix, registers);
  const labels = ['local_address', 'remote_address', 'remote_port'];
  const perDestination = (name: string, help: string, value: (p: PortPressure) => number) =>
    gauge(name, help, labels, (g, rows) => {
      for (const p of rows) g.set({ local_address: p.localAddress, remote_address: p.remoteAddress, remote_port: String(p.remotePort) }, value(p));
    });
  perDestination('tcp_ephemeral_port_used', 'Sockets holding an ephemeral port toward one destination, TIME_WAIT included (the topPortPressure most).', (p) => p.used);
  perDestination('tcp_ephemeral_port_use_ratio', 'Share of the usable ephemeral port range held toward one destination (the topPortPressure most).', (p) => p.fraction);
  gauge('tcp_ephemeral_ports_usable', 'Ports of net.ipv4.ip_local_port_range less ip_local_reserved_ports.', [], (g, rows) => g.set(rows.rangeSize));
}

/**
 * UNIX listeners' accept queue and backlog, one series each per listener path (ss -xl's Recv-Q and
 * Send-Q), at most `maxListeners` of them by path order; the rest are counted. Absent from /proc.
 */
function registerUnixListenerGauges(
  prefix: string,
  maxListeners: number,
  registers: Registry[],
  unix: () => Promise<Outcome<Awaited<ReturnType<typeof unixListenQueues>>>>,
): void {
  const gauge = gaugeOver(async () => {
    const o = await unix();
    return o.value ? { ...o, value: unixListenersByName(o.value) } : o;
  }, prefix, registers);
  const perListener = (name: string, help: string, field: 'acceptQueue' | 'backlog') =>
    gauge(name, help, ['path'], (g, listeners) => {
      for (const l of listeners.slice(0, maxListeners)) if (l[field] !== null) g.set({ path: l.name }, l[field]);
    });
  perListener('unix_listener_accept_queue', 'Connections waiting for accept() on a UNIX listener (ss -xl Recv-Q).', 'acceptQueue');
  perListener('unix_listener_backlog', 'The listen() backlog of a UNIX listener (ss -xl Send-Q); absent when read from /proc.', 'backlog');
  gauge('unix_listeners_omitted', `UNIX listeners beyond maxListeners (${maxListeners}), left without series.`, [], (g, listeners) =>
    g.set(Math.max(0, listeners.length - maxListeners)),
  );
}

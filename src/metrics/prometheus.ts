// `sockscope/prometheus`: a prom-client collector. Every figure is read at scrape time, in collect();
// a read that fails leaves its series out of that scrape and is reported as a metric, as
// node_exporter reports a failed collector, so one bad read never fails the whole scrape.
import { Counter, Gauge, type Registry } from 'prom-client';

import { TCP_STATES } from '../states.js';
import { invalid } from '../validate.js';
import { checkCollectorOptions, timedRead, type Collector, type CollectorOptions, type Outcome } from './collect.js';
import { readSocketFigures, type SocketFigures } from './socket-figures.js';
import { readTcpCounters, type TcpCounters } from './tcp-counters.js';

export type { Collector } from './collect.js';

/** Options of registerSockscopeMetrics: where to read (as every read), and how to name and bound the series. */
export interface SockscopeMetricsOptions extends CollectorOptions {
  /** Put before every metric name. @default 'sockscope_' */
  prefix?: string;
}

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

/** Empties a metric for this scrape; `remove({})` drops the sample an unlabelled metric keeps after reset(). */
function clear(metric: Gauge | Counter): void {
  metric.reset();
  metric.remove({});
}

function checkOptions(options: unknown) {
  const checked = checkCollectorOptions(options, 'registerSockscopeMetrics', ['prefix']);
  const prefix = (options as SockscopeMetricsOptions | undefined)?.prefix ?? 'sockscope_';
  if (typeof prefix !== 'string') throw invalid(TypeError, 'a string', 'prefix', prefix);
  if (!METRIC_NAME_PREFIX.test(prefix)) throw invalid(RangeError, 'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', 'prefix', prefix);
  return { ...checked, prefix };
}

/**
 * Registers sockscope's metrics on `registry`: TCP connections per state, queued bytes, listener
 * queues and the kernel's listen and retransmit counters, all read when the registry is scraped.
 * Never one series per connection: per state, and per listener up to `maxListeners`.
 */
export function registerSockscopeMetrics(registry: Registry, options?: SockscopeMetricsOptions): void {
  const { read, prefix, maxListeners, onError } = checkOptions(options);
  const sockets = perScrape(() => readSocketFigures(read), 'sockets', onError);
  const netstat = perScrape(() => readTcpCounters(read), 'netstat', onError);
  const registers = [registry];

  /** A gauge over the socket figures, empty when their read failed. */
  const socketGauge = (name: string, help: string, labelNames: string[], set: (g: Gauge, f: SocketFigures) => void) =>
    new Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers,
      async collect() {
        const { value } = await sockets();
        clear(this);
        if (value) set(this, value);
      },
    });

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

  const outcomes = () => Promise.all([sockets(), netstat()]).then(([s, n]) => ({ sockets: s, netstat: n }));
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

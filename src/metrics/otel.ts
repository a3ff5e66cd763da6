// `sockscope/otel`: the Prometheus collector's figures as OpenTelemetry observable instruments.
// One batch callback feeds every instrument, so each collection reads the socket table and the
// counters once, however many instruments there are. Only types come from @opentelemetry/api: the
// caller's Meter does the work, so the package needs the API at compile time alone.
import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';

import type { PortPressure } from '../port-pressure.js';
import { TCP_STATES } from '../states.js';
import { checkMetricsOptions, prefixLabel, timedRead, topKReads, type CollectorOptions, type TopKOptions } from './collect.js';
import { readSocketFigures, type ListenerFigures } from './socket-figures.js';
import { readTcpCounters, type TcpCounters } from './tcp-counters.js';

/**
 * Options of observeSockets: where to read (as every read), and how to bound the series. The top-K
 * instruments: `topRemotePrefixes` observes `sockscope.tcp.remote_prefix.connections`,
 * `topPortPressure` `sockscope.tcp.ephemeral_port.used` and `.use_ratio` and
 * `sockscope.tcp.ephemeral_ports.usable`.
 */
export interface ObserveSocketsOptions extends CollectorOptions, TopKOptions {
  /** Observe the sockets on these local ports per state (`sockscope.tcp.port.connections`): an allowlist, 11 series a port. @default none */
  ports?: number[];
}

/** The kernel counters as observable counters: name, unit and description. */
const COUNTERS: Record<keyof TcpCounters, [string, string, string]> = {
  ListenOverflows: ['sockscope.tcp.listen.overflows', '{connection}', 'Handshakes completed while the listener\'s accept queue was full (TcpExt ListenOverflows).'],
  ListenDrops: ['sockscope.tcp.listen.drops', '{connection}', 'SYNs and handshake completions dropped at a listener, overflows included (TcpExt ListenDrops).'],
  SyncookiesSent: ['sockscope.tcp.syncookies.sent', '{cookie}', 'SYN cookies sent because a SYN queue was full (TcpExt SyncookiesSent).'],
  RetransSegs: ['sockscope.tcp.segments.retransmitted', '{segment}', 'TCP segments retransmitted (Tcp RetransSegs).'],
  OutRsts: ['sockscope.tcp.resets.sent', '{segment}', 'TCP segments sent with RST set (Tcp OutRsts).'],
};

const listenerAttributes = (l: ListenerFigures) => ({ 'server.address': l.address, 'server.port': l.port });
/** An outbound destination: this host's address as the client, the peer as the server. */
const destinationAttributes = (p: PortPressure) => ({ 'client.address': p.localAddress, 'server.address': p.remoteAddress, 'server.port': p.remotePort });

/**
 * Registers sockscope's instruments on `meter`: TCP connections per state, queued bytes, listener
 * queues, the kernel's listen and retransmit counters, the top-K figures asked for, and whether
 * each read succeeded. All are read at collection time, by one batch callback. Returns a function
 * that removes the callback; the instruments then report nothing.
 *
 * @throws TypeError or RangeError for a bad option, here rather than at every collection.
 */
export function observeSockets(meter: Meter, options?: ObserveSocketsOptions): () => void {
  const { read, maxListeners, onError, top } = checkMetricsOptions(options, 'observeSockets', ['ports']);
  const topK = topKReads(read, top);
  const ports = (options as ObserveSocketsOptions | undefined)?.ports;
  const figures = { ...read, ...(ports !== undefined && { ports }) };
  if (typeof meter?.addBatchObservableCallback !== 'function') {
    throw new TypeError('Expected an OpenTelemetry Meter (from metrics.getMeter()) for meter');
  }
  const gauge = (name: string, unit: string, description: string) => meter.createObservableGauge(name, { unit, description });
  const connections = meter.createObservableUpDownCounter('sockscope.tcp.connections', {
    unit: '{connection}',
    description: 'TCP connections per state (attribute state: established, syn_sent, ... closing).',
  });
  const queued = meter.createObservableUpDownCounter('sockscope.tcp.queued', {
    unit: 'By',
    description: 'Bytes queued over every TCP socket but listeners: received and not yet read (receive), sent and not yet acknowledged (transmit).',
  });
  const acceptQueue = gauge('sockscope.tcp.listener.accept_queue', '{connection}', 'Connections waiting for accept() on a TCP listener (ss -lt Recv-Q).');
  const backlog = gauge('sockscope.tcp.listener.backlog', '{connection}', 'The listen() backlog of a TCP listener (ss -lt Send-Q); absent when read from /proc.');
  const drops = gauge('sockscope.tcp.listener.drops', '{packet}', 'Packets the kernel dropped for a TCP listener since it was created, accept-queue overflows included (sk_drops, ss -tlm d); absent when read from /proc.');
  const portConnections = gauge('sockscope.tcp.port.connections', '{connection}', 'TCP sockets on an allowlisted local port, per state (attributes server.port, state).');
  const omitted = gauge('sockscope.tcp.listeners.omitted', '{listener}', `TCP listeners beyond maxListeners (${maxListeners}), left without series.`);
  const counters = Object.entries(COUNTERS).map(
    ([field, [name, unit, description]]) => [field as keyof TcpCounters, meter.createObservableCounter(name, { unit, description })] as const,
  );
  const remotePrefixes = top.topRemotePrefixes
    ? gauge('sockscope.tcp.remote_prefix.connections', '{connection}', 'ESTABLISHED TCP connections per remote /24 (IPv6 /64), the topRemotePrefixes largest, the rest as prefix "other".')
    : undefined;
  const pressure = top.topPortPressure
    ? {
        used: gauge('sockscope.tcp.ephemeral_port.used', '{port}', 'Sockets holding an ephemeral port toward one destination, TIME_WAIT included (the topPortPressure most).'),
        ratio: gauge('sockscope.tcp.ephemeral_port.use_ratio', '1', 'Share of the usable ephemeral port range held toward one destination (the topPortPressure most).'),
        usable: gauge('sockscope.tcp.ephemeral_ports.usable', '{port}', 'Ports of net.ipv4.ip_local_port_range less ip_local_reserved_ports.'),
      }
    : undefined;
  const success = gauge('sockscope.collector.success', '1', 'Whether a sockscope read succeeded in this collection (1) or failed (0).');
  const duration = gauge('sockscope.collector.duration', 's', 'How long a sockscope read took in this collection.');

  const callback = async (result: BatchObservableResult) => {
    const [sockets, netstat, prefixes, ports] = await Promise.all([
      timedRead(() => readSocketFigures(figures), 'sockets', onError),
      timedRead(() => readTcpCounters(read), 'netstat', onError),
      remotePrefixes && timedRead(topK.prefixes, 'prefixes', onError),
      pressure && timedRead(topK.ports, 'ports', onError),
    ]);
    for (const [collector, outcome] of [['sockets', sockets], ['netstat', netstat], ['prefixes', prefixes], ['ports', ports]] as const) {
      if (!outcome) continue;
      result.observe(success, outcome.error ? 0 : 1, { collector });
      result.observe(duration, outcome.seconds, { collector });
    }
    const f = sockets.value;
    if (f) {
      for (const s of TCP_STATES) result.observe(connections, f.states[s], { state: s.toLowerCase() });
      result.observe(queued, f.rxQueuedBytes, { 'network.io.direction': 'receive' });
      result.observe(queued, f.txQueuedBytes, { 'network.io.direction': 'transmit' });
      for (const l of f.listeners.slice(0, maxListeners)) {
        result.observe(acceptQueue, l.acceptQueue, listenerAttributes(l));
        if (l.backlog !== null) result.observe(backlog, l.backlog, listenerAttributes(l));
        if (l.drops !== null) result.observe(drops, l.drops, listenerAttributes(l));
      }
      for (const p of f.portStates) result.observe(portConnections, p.count, { 'server.port': p.port, state: p.state.toLowerCase() });
      result.observe(omitted, Math.max(0, f.listeners.length - maxListeners));
    }
    const n = netstat.value;
    if (n) for (const [field, counter] of counters) result.observe(counter, n[field]);
    if (remotePrefixes && prefixes?.value) for (const g of prefixes.value) result.observe(remotePrefixes, g.count, { prefix: prefixLabel(g) });
    if (pressure && ports?.value) {
      for (const p of ports.value) {
        result.observe(pressure.used, p.used, destinationAttributes(p));
        result.observe(pressure.ratio, p.fraction, destinationAttributes(p));
      }
      result.observe(pressure.usable, ports.value.rangeSize);
    }
  };
  const observables: Observable[] = [
    connections, queued, acceptQueue, backlog, drops, portConnections, omitted, ...counters.map(([, c]) => c), success, duration,
    ...(remotePrefixes ? [remotePrefixes] : []),
    ...(pressure ? [pressure.used, pressure.ratio, pressure.usable] : []),
  ];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}

// The kernel's five TCP counters the Prometheus collector exports, picked from the strict parse of
// /proc/net/netstat and /proc/net/snmp that netstatCounters() does.
import { netstatCounters, type NetstatCounters } from '../counters.js';
import { SockscopeError } from '../errors.js';
import { toNativeRequest } from '../options.js';
import { checkMetricsReadOptions, type MetricsReadOptions } from './read-options.js';

/** The kernel's TCP counters since boot, by their names in /proc/net/netstat (TcpExt) and /proc/net/snmp (Tcp). */
export interface TcpCounters {
  /** TcpExt: a connection completed its handshake while its listener's accept queue was full. */
  ListenOverflows: number;
  /** TcpExt: a SYN or handshake completion dropped at a listener, overflows included. */
  ListenDrops: number;
  /** TcpExt: SYN cookies sent because a SYN queue was full. */
  SyncookiesSent: number;
  /** Tcp: segments retransmitted. */
  RetransSegs: number;
  /** Tcp: segments sent with RST set. */
  OutRsts: number;
}

/** Where each counter is kept: its file under procRoot and its group there. */
const COUNTERS: Record<keyof TcpCounters, ['netstat' | 'snmp', string]> = {
  ListenOverflows: ['netstat', 'TcpExt'],
  ListenDrops: ['netstat', 'TcpExt'],
  SyncookiesSent: ['netstat', 'TcpExt'],
  RetransSegs: ['snmp', 'Tcp'],
  OutRsts: ['snmp', 'Tcp'],
};

function pick(all: NetstatCounters, root: string): TcpCounters {
  const out = {} as TcpCounters;
  for (const [name, [file, group]] of Object.entries(COUNTERS) as [keyof TcpCounters, [string, string]][]) {
    const value = all[group]?.[name];
    if (value === undefined) throw new SockscopeError(`${root}/${file} has no ${group} ${name} counter`, 'ERR_COUNTERS_PARSE');
    out[name] = value;
  }
  return out;
}

/**
 * Reads the kernel's TCP counters from `<procRoot>/netstat` and `<procRoot>/snmp` (/proc/net by default).
 *
 * @throws SockscopeError `ERR_COUNTERS_PARSE` naming file and line when a file is not a counter
 *   table, or naming the counter a file lacks; the errno code (`ENOENT`, ...) when one cannot be read.
 */
export async function readTcpCounters(options?: MetricsReadOptions): Promise<TcpCounters> {
  const read = checkMetricsReadOptions(options, 'readTcpCounters');
  const { procRoot: root, netns } = toNativeRequest(read, 'readTcpCounters'); // netns { pid } is /proc/PID/net
  if (netns) {
    throw new SockscopeError(`the TCP counters of ${netns} cannot be read yet: give netns as { pid }`, 'ERR_NETNS_UNSUPPORTED');
  }
  return pick(await netstatCounters({ procRoot: root }), root);
}

// Host figures for monitoring, as plain values: what the Prometheus collector exports, and what an
// OpenTelemetry observable-gauge callback can observe. No metrics library is needed here.
import { formatAddress } from './address.js';
import { SockscopeError } from './errors.js';
import { READ_OPTION_NAMES, toNativeRequest, type ReadOptions } from './options.js';
import { allInOrder, readProcFile } from './proc-files.js';
import { snapshot } from './read.js';
import { toStateCounts, type StateCounts } from './states.js';
import { checkKeys, checkObject } from './validate.js';

/** The read options a metrics read takes: where to read, not what (always every TCP socket). */
export type MetricsReadOptions = Omit<ReadOptions, 'protocols' | 'states'>;

const METRICS_READ_OPTION_NAMES = READ_OPTION_NAMES.filter((k) => k !== 'protocols' && k !== 'states');

/** One listening address and port; SO_REUSEPORT groups (several sockets on one port) are summed. */
export interface ListenerFigures {
  address: string;
  port: number;
  /** Connections waiting for accept(). */
  acceptQueue: number;
  /** The listen() backlog; null when the source does not know it (/proc). */
  backlog: number | null;
}

/** Per-state counts, queued bytes and listener queues of every TCP socket (IPv4 and IPv6). */
export interface SocketFigures {
  source: 'netlink' | 'proc';
  /** Every state, zeros included, and their total. */
  states: StateCounts;
  /** Bytes received and not yet read, over every socket but listeners (whose Recv-Q counts connections). */
  rxQueuedBytes: number;
  /** Bytes sent and not yet acknowledged, over every socket but listeners (whose Send-Q is the backlog). */
  txQueuedBytes: number;
  /** Sorted by port, then address. */
  listeners: ListenerFigures[];
}

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

const LISTEN = 10;

/**
 * Validates metrics read options (and `extraKeys`, checked by the caller) once, so a bad option
 * fails where it is given rather than at every scrape. Returns the read options alone.
 */
export function checkMetricsReadOptions(
  options: unknown,
  fn: string,
  extraKeys: readonly string[] = [],
): MetricsReadOptions {
  const o = checkObject(options, 'options');
  checkKeys(o, [...METRICS_READ_OPTION_NAMES, ...extraKeys], fn);
  const read = Object.fromEntries(Object.entries(o).filter(([k]) => !extraKeys.includes(k)));
  toNativeRequest(read, fn);
  return read as MetricsReadOptions;
}

/**
 * Reads every TCP socket once and sums it into per-state counts, queued bytes and listener queues:
 * one table read serves all three (a separate count would walk the same kernel table again).
 */
export async function readSocketFigures(options?: MetricsReadOptions): Promise<SocketFigures> {
  const read = checkMetricsReadOptions(options, 'readSocketFigures');
  const table = await snapshot({ ...read, protocols: ['tcp', 'tcp6'] });
  const { state, recvQ, sendQ, family, localAddress, localPort } = table.columns;
  const byNumber = new Array<number>(LISTEN + 2).fill(0);
  const listeners = new Map<string, ListenerFigures>();
  const knowsBacklog = table.source === 'netlink';
  let rxQueuedBytes = 0;
  let txQueuedBytes = 0;
  for (let i = 0; i < table.length; i++) {
    const s = state[i]!;
    byNumber[s]!++;
    if (s !== LISTEN) {
      rxQueuedBytes += recvQ[i]!;
      txQueuedBytes += sendQ[i]!;
      continue;
    }
    const address = formatAddress(localAddress, i, family[i]!);
    const port = localPort[i]!;
    const key = `${address} ${port}`;
    const group = listeners.get(key);
    if (!group) {
      listeners.set(key, { address, port, acceptQueue: recvQ[i]!, backlog: knowsBacklog ? sendQ[i]! : null });
      continue;
    }
    group.acceptQueue += recvQ[i]!;
    if (group.backlog !== null) group.backlog += sendQ[i]!;
  }
  return {
    source: table.source,
    states: toStateCounts(byNumber),
    rxQueuedBytes,
    txQueuedBytes,
    listeners: [...listeners.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : 1)),
  };
}

// SEAM (netlink/counters merge): src/counters.ts brings netstatCounters(); once it is on main, make
// readTcpCounters return its five fields and delete this parser (COUNTERS, parseNetstatFile, counterFile).
type CounterFile = 'netstat' | 'snmp';
const COUNTERS: Record<keyof TcpCounters, [CounterFile, string]> = {
  ListenOverflows: ['netstat', 'TcpExt'],
  ListenDrops: ['netstat', 'TcpExt'],
  SyncookiesSent: ['netstat', 'TcpExt'],
  RetransSegs: ['snmp', 'Tcp'],
  OutRsts: ['snmp', 'Tcp'],
};

/** `Group: names...` then `Group: values...` line pairs, as /proc/net/netstat and /proc/net/snmp hold them. */
function parseNetstatFile(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const group = names[0]!.replace(/:$/, '');
    for (let j = 1; j < names.length; j++) out.set(`${group}.${names[j]}`, Number(values[j]));
  }
  return out;
}

async function counterFile(root: string, name: CounterFile): Promise<Map<string, number>> {
  return parseNetstatFile(await readProcFile(`${root}/${name}`));
}

/** Reads the kernel's TCP counters from `<procRoot>/netstat` and `<procRoot>/snmp` (/proc/net by default). */
export async function readTcpCounters(options?: MetricsReadOptions): Promise<TcpCounters> {
  const read = checkMetricsReadOptions(options, 'readTcpCounters');
  const { procRoot: root, netns } = toNativeRequest(read, 'readTcpCounters'); // netns { pid } is /proc/PID/net
  if (netns) {
    throw new SockscopeError(`the TCP counters of ${netns} cannot be read yet: give netns as { pid }`, 'ERR_NETNS_UNSUPPORTED');
  }
  const [netstat, snmp] = await allInOrder([counterFile(root, 'netstat'), counterFile(root, 'snmp')]);
  const files = { netstat, snmp };
  const out = {} as TcpCounters;
  for (const [name, [file, group]] of Object.entries(COUNTERS) as [keyof TcpCounters, [CounterFile, string]][]) {
    const value = files[file].get(`${group}.${name}`);
    if (value === undefined || !Number.isFinite(value)) {
      throw new SockscopeError(`${root}/${file} has no ${group} ${name} counter`, 'ERR_PROC_PARSE');
    }
    out[name] = value;
  }
  return out;
}

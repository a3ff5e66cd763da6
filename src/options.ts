// The read options every function takes, validated into the addon's request before native runs.
import type { NativeRequest } from './native-types.js';
import { netnsRequest, type Netns } from './netns.js';
import { toPortRanges, type PortSpec } from './ports.js';
import type { ProcessOptions } from './processes.js';
import { TCP_STATES, stateNumber, type TcpState } from './states.js';
import { checkBoolean, checkKeys, checkList, checkObject, checkOneOf, checkString, invalid } from './validate.js';

export const PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
/** A kernel socket table: TCP or UDP, over IPv4 (`tcp`, `udp`) or IPv6 (`tcp6`, `udp6`). */
export type Protocol = (typeof PROTOCOLS)[number];

export const SOURCES = ['auto', 'netlink', 'proc'] as const;
/** Where sockets are read from: netlink sock_diag, the /proc/net text tables, or the best available. */
export type Source = (typeof SOURCES)[number];

/** Options of every read. */
export interface ReadOptions {
  /** Tables to read. @default ['tcp', 'tcp6'] */
  protocols?: Protocol[];
  /** Keep only sockets in these states (netstat's names). @default every state */
  states?: TcpState[];
  /** Read the tables from this directory instead of /proc/net, e.g. `/proc/<pid>/net` or a fixture. Implies `source: 'proc'`. @default '/proc/net' */
  procRoot?: string;
  /** Where to read from. @default 'auto' */
  source?: Source;
  /** Keep only sockets whose local port is this port, in this `[low, high]` range, or in any of a list. @default any port */
  localPort?: PortSpec;
  /** Keep only sockets whose remote port matches, as for `localPort`. @default any port */
  remotePort?: PortSpec;
  /** Read this network namespace: a namespace file (`/var/run/netns/NAME`; joined with setns, needs CAP_SYS_ADMIN) or `{ pid }` (read through its /proc/PID/net, or joined with `source: 'netlink'`). @default the caller's */
  netns?: Netns;
  /**
   * Netlink: split the dump by port into this many dumps run at once on pinned threads, merged
   * into one result (see docs/design.md). `'auto'` partitions over the CPUs
   * the process may use and its cgroup's CPU quota grants (at most 4) once the previous read of the same tables and states had
   * 8000 sockets or more; `1` always takes one dump; a number from 2 forces that many. A read
   * with `localPort` or `remotePort` always takes one dump. Only `'auto'` lets `countStates`
   * take ESTABLISHED from the kernel's counter (see `countStates`). Where threads cannot be
   * started (a pids limit), fewer parts run, down to one. @default 'auto'
   */
  partitions?: number | 'auto';
  /**
   * Keep only the sockets an ss filter expression selects, in ss's language: leading state words
   * (`state established`, `exclude listening`, groups such as `connected`), then conditions on
   * `sport`, `dport`, `src` and `dst` joined by `and`, `or`, `not` and parentheses, e.g.
   * `"state established ( dport = :443 or sport = :443 )"` or `"dst 10.0.0.0/8"`. State words
   * narrow `states` (both must hold); the expression runs in the kernel over netlink (as
   * INET_DIAG_REQ_BYTECODE, ANDed with `localPort`/`remotePort`) and in userspace on /proc and
   * where the kernel's test differs from ss's (see `dump.filteredInUserspace`). Not taken by
   * listenQueues or the metrics reads. Throws a FilterSyntaxError (code `ERR_FILTER_SYNTAX`)
   * naming the first word that does not fit. @default every socket
   */
  filter?: string;
}

/** Options of a table read: what only netlink can add, and the sockets' owners. */
export interface SnapshotOptions extends ReadOptions, ProcessOptions {
  /** Add tcp_info columns (rtt, cwnd, bytes acked, ...); netlink only. @default false */
  info?: boolean;
  /** Add SK_MEMINFO columns (buffer sizes and use, drops); netlink only. @default false */
  memory?: boolean;
  /** Add the `cookie` column (the kernel's socket id, as `ss -e` prints it), when the source has it (netlink): 8 bytes a socket. @default false */
  cookie?: boolean;
  /**
   * Write the raw bytes of the netlink dump to this file, to replay later through the
   * `SOCKSCOPE_NETLINK_FILE` environment variable (as `ss` has `TCPDIAG_FILE`). Netlink only.
   */
  recordFile?: string;
}

export const READ_OPTION_NAMES = ['protocols', 'states', 'procRoot', 'source', 'localPort', 'remotePort', 'netns', 'partitions'] as const;
export const EXTENSION_OPTION_NAMES = ['info', 'memory', 'cookie', 'recordFile'] as const;

const ALL_STATES_MASK = 0x1ffe;
const IPV6_TABLES = (1 << 1) | (1 << 3);

function tableMask(protocols: readonly Protocol[]): number {
  return protocols.reduce((mask, p) => mask | (1 << PROTOCOLS.indexOf(p)), 0);
}

/** The state mask the kernel takes; SYN_RECV also asks for request sockets (NEW_SYN_RECV, 12). */
function stateMask(states: readonly TcpState[] | undefined): number {
  if (!states) return ALL_STATES_MASK;
  return states.reduce((mask, s) => {
    const n = stateNumber(s);
    return mask | (1 << n) | (n === 3 ? 1 << 12 : 0);
  }, 0);
}

/** Most partitions a read may ask for: each one walks the whole hash, so more only cost. */
export const MAX_PARTITIONS = 64;

/** 0 for 'auto', else the count asked. */
function partitionCount(value: unknown): number {
  if (value === undefined || value === 'auto') return 0;
  const what = `'auto' or an integer from 1 to ${MAX_PARTITIONS}`;
  if (typeof value !== 'number') throw invalid(TypeError, what, 'partitions', value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_PARTITIONS) throw invalid(RangeError, what, 'partitions', value);
  return value;
}

function pickSource(source: Source, procRoot: string | undefined, extensions: boolean): Source {
  if (procRoot !== undefined && source === 'netlink') {
    throw new RangeError('procRoot reads /proc text tables, so it cannot be combined with source "netlink"');
  }
  if (extensions && (source === 'proc' || procRoot !== undefined)) {
    throw new RangeError('info, memory and recordFile are netlink only, so they cannot be combined with source "proc" or procRoot');
  }
  return procRoot !== undefined ? 'proc' : source;
}

/**
 * The replay seam: with `SOCKSCOPE_NETLINK_FILE` set, netlink reads parse that recording (made by
 * `recordFile`, or `sockscope list --record FILE`) instead of asking the kernel.
 */
function replaySeam(source: Source): { replayFile?: string } {
  const file = process.env.SOCKSCOPE_NETLINK_FILE;
  return file && source !== 'proc' ? { replayFile: file } : {};
}

/** Validates `options` of function `fn` (which takes `extraKeys` besides the read options) and builds the native request. */
export function toNativeRequest(options: unknown, fn: string, extraKeys: readonly string[] = []): NativeRequest {
  const o = checkObject(options, 'options');
  checkKeys(o, [...READ_OPTION_NAMES, ...extraKeys], fn);
  const info = checkBoolean(o.info, 'info', false);
  const memory = checkBoolean(o.memory, 'memory', false);
  const cookie = checkBoolean(o.cookie, 'cookie', false);
  const protocols = o.protocols === undefined ? undefined : checkList(o.protocols, 'protocols', PROTOCOLS);
  const states = o.states === undefined ? undefined : checkList(o.states, 'states', TCP_STATES);
  const procRoot = o.procRoot === undefined ? undefined : checkString(o.procRoot, 'procRoot');
  const source = o.source === undefined ? 'auto' : checkOneOf(o.source, 'source', SOURCES);
  const recordFile = o.recordFile === undefined ? undefined : checkString(o.recordFile, 'recordFile');
  const picked = pickSource(source, procRoot, info || memory || recordFile !== undefined);
  // With extensions, auto means netlink (they exist nowhere else): a { pid } namespace is joined then.
  const where = netnsRequest(o.netns, info || memory ? 'netlink' : picked, procRoot);
  return {
    source: where.procRoot ? 'proc' : picked,
    tables: tableMask(protocols ?? ['tcp', 'tcp6']),
    // IPv6 may be disabled: its files are missing then, which is only an error when asked for by name.
    optionalTables: protocols ? 0 : IPV6_TABLES,
    states: stateMask(states),
    localPorts: toPortRanges(o.localPort, 'localPort'),
    remotePorts: toPortRanges(o.remotePort, 'remotePort'),
    procRoot: where.procRoot ?? procRoot ?? '/proc/net',
    ...(where.netns && { netns: where.netns }),
    info,
    memory,
    cookie,
    ...(recordFile !== undefined && { recordFile }),
    ...replaySeam(where.procRoot ? 'proc' : picked),
    partitions: partitionCount(o.partitions),
  };
}

// UNIX sockets, as `ss -x` lists them: the kernel's unix_diag table (or /proc/net/unix), read
// into typed-array columns, rows made only when asked for.
import { inspect } from 'node:util';

import { binding } from './binding.js';
import { callAsync, callSync } from './errors.js';
import type { NativeUnixColumns, NativeUnixRequest, NativeUnixTable } from './native-types.js';
import { netnsRequest, type Netns } from './netns.js';
import { SOURCES, type Source } from './options.js';
import { PROCESS_OPTION_NAMES, SocketOwners, processRequest, type ProcessOptions, type ProcessScan, type SocketOwner } from './processes.js';
import { checkKeys, checkList, checkObject, checkOneOf, checkString } from './validate.js';

/**
 * Socket states by ss's names, indexed by the kernel's TCP state number minus one (unix_diag
 * reports UNIX sockets in that numbering). UNIX sockets take four of them: `LISTEN`, `ESTAB`
 * (connected, and a connection waiting in a listener's accept queue), `UNCONN` (unconnected,
 * e.g. a bound datagram socket), and from /proc only `SYN-SENT` and `CLOSING` (see unixSockets).
 */
export const UNIX_STATES = [
  'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT',
  'LAST-ACK', 'LISTEN', 'CLOSING',
] as const;
/** A UNIX socket's state as ss prints it. */
export type UnixState = (typeof UNIX_STATES)[number];

/** Socket types by their SOCK_* number. */
const TYPE_NAMES: Record<number, UnixType> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };
export const UNIX_TYPES = ['stream', 'dgram', 'seqpacket'] as const;
/** SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. */
export type UnixType = (typeof UNIX_TYPES)[number];

/** Options of {@link unixSockets}. */
export interface UnixSocketOptions extends ProcessOptions {
  /** Keep only sockets in these states (ss's names). @default every state */
  states?: UnixState[];
  /**
   * Where to read from: netlink unix_diag, /proc/net/unix, or netlink falling back to /proc
   * where it is refused. /proc/net/unix has no queues, peers or uids. @default 'auto'
   */
  source?: Source;
  /** Read `unix` from this directory instead of /proc/net (`/proc/<pid>/net`, a fixture). Implies `source: 'proc'`. @default '/proc/net' */
  procRoot?: string;
  /** Read this network namespace's sockets, as for snapshot(). @default the caller's */
  netns?: Netns;
}

/** One UNIX socket. */
export interface UnixSocketRow {
  type: UnixType;
  state: UnixState;
  /**
   * The bound name: a filesystem path, or an abstract name as ss prints it (`@` in place of each
   * NUL byte, the leading one included); `null` for an unbound socket (ss prints `*`).
   */
  path: string | null;
  inode: number;
  /** The peer socket's inode; 0 for none (ss prints `* 0`). `null` from /proc, which does not say. */
  peerInode: number | null;
  /**
   * For a listener, the connections waiting for accept(); otherwise the bytes queued to read (a
   * datagram socket: the first datagram's). `null` from /proc.
   */
  recvQ: number | null;
  /** For a listener, its backlog; otherwise the bytes sent and not yet read by the peer. `null` from /proc. */
  sendQ: number | null;
  /** The uid that created it (Linux 5.3 and later); `null` where unknown, and from /proc. */
  uid: number | null;
  /** With `processes: true` only: the processes holding it open. */
  owners?: SocketOwner[];
}

const UNIX_OPTION_NAMES = ['states', 'source', 'procRoot', 'netns', ...PROCESS_OPTION_NAMES];
const ALL_STATES = 0xffffffff;

const decoder = new TextDecoder();

/** The columns of a UNIX-socket table. */
export type UnixSocketColumns = NativeUnixColumns;

export class UnixSocketTable implements Iterable<UnixSocketRow> {
  /** Number of sockets. */
  readonly length: number;
  /** Which source served the read; with 'proc', queues, peers and uids are unknown. */
  readonly source: 'netlink' | 'proc';
  /** One typed array per field, `length` entries each; names as offsets (`nameStart`, length + 1) into `nameBytes`. */
  readonly columns: UnixSocketColumns;
  /** True when the kernel's table kept changing during the netlink dump even after retries. */
  readonly inconsistent: boolean;
  /** With `processes: true` only: each row's owning processes, columnar. */
  readonly owners?: SocketOwners;
  /** With `processes: true` only: how many processes were read, and how many could not be. */
  readonly processScan?: ProcessScan;

  constructor(native: NativeUnixTable) {
    this.length = native.length;
    this.source = native.source;
    this.columns = native.columns;
    this.inconsistent = native.inconsistent;
    if (native.owners) {
      this.owners = new SocketOwners(native.owners);
      this.processScan = this.owners.scan;
    }
  }

  /** Row `i`'s name as ss prints it (see {@link UnixSocketRow.path}), or null for none. */
  path(i: number): string | null {
    const { nameStart, nameBytes } = this.columns;
    const bytes = nameBytes.subarray(nameStart[i]!, nameStart[i + 1]!);
    if (bytes.length === 0) return null;
    const text = decoder.decode(bytes);
    return bytes[0] === 0 ? text.replaceAll('\0', '@') : text;
  }

  /** Row `i` as an object, or undefined past the end. */
  get(i: number): UnixSocketRow | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    const c = this.columns;
    const known = this.source === 'netlink';
    const uid = c.uid[i]!;
    return {
      type: TYPE_NAMES[c.type[i]!] ?? (`type${c.type[i]}` as UnixType),
      state: UNIX_STATES[c.state[i]! - 1] ?? (`UNKNOWN(${c.state[i]})` as UnixState),
      path: this.path(i),
      inode: c.inode[i]!,
      peerInode: known ? c.peerInode[i]! : null,
      recvQ: known ? c.recvQ[i]! : null,
      sendQ: known ? c.sendQ[i]! : null,
      uid: Number.isNaN(uid) ? null : uid,
      ...(this.owners && { owners: this.owners.of(i) }),
    };
  }

  /** Like get(), counting back from the end for a negative index. */
  at(i: number): UnixSocketRow | undefined {
    return this.get(i < 0 ? this.length + i : i);
  }

  *[Symbol.iterator](): Iterator<UnixSocketRow> {
    for (let i = 0; i < this.length; i++) yield this.get(i)!;
  }

  toArray(): UnixSocketRow[] {
    return Array.from(this);
  }

  toJSON(): UnixSocketRow[] {
    return this.toArray();
  }

  [inspect.custom](): string {
    const head = this.toArray().slice(0, 5);
    const more = this.length > head.length ? `\n  ... ${this.length - head.length} more` : '';
    return `UnixSocketTable(${this.length}, source: ${this.source}) ${inspect(head)}${more}`;
  }
}

function stateMask(states: readonly UnixState[] | undefined): number {
  if (!states) return ALL_STATES;
  return states.reduce((mask, s) => (mask | (1 << (UNIX_STATES.indexOf(s) + 1))) >>> 0, 0);
}

/** Validates the options of `fn` into the addon's request. */
export function unixRequest(options: unknown, fn: string): NativeUnixRequest {
  const o = checkObject(options, 'options');
  checkKeys(o, UNIX_OPTION_NAMES, fn);
  const states = o.states === undefined ? undefined : checkList(o.states, 'states', UNIX_STATES);
  const procRoot = o.procRoot === undefined ? undefined : checkString(o.procRoot, 'procRoot');
  const source = o.source === undefined ? 'auto' : checkOneOf(o.source, 'source', SOURCES);
  if (procRoot !== undefined && source === 'netlink') {
    throw new RangeError('procRoot reads /proc text tables, so it cannot be combined with source "netlink"');
  }
  const where = netnsRequest(o.netns, source, procRoot);
  const root = where.procRoot ?? procRoot;
  return {
    source: root !== undefined ? 'proc' : source,
    states: stateMask(states),
    procRoot: root ?? '/proc/net',
    ...(where.netns && { netns: where.netns }),
    ...processRequest(options),
  };
}

/**
 * Reads the UNIX sockets of the caller's network namespace (or `netns`'s), as `ss -xa` lists
 * them, on the libuv threadpool. Over netlink unix_diag: type, state, name, inode, peer inode,
 * queues (a listener's accept queue and backlog) and uid. From /proc/net/unix (`source: 'proc'`,
 * or `auto` where netlink is refused): no queues, peers or uids (`null` in rows, 0 or NaN in
 * columns), and a connection not yet accepted reads as `SYN-SENT`, as ss shows it there.
 *
 * @throws TypeError or RangeError for bad options, before anything is read; SockscopeError when
 *   the read fails (`code` is errno's name, or `ERR_PROC_PARSE` / `ERR_NETLINK_PARSE`).
 */
export async function unixSockets(options?: UnixSocketOptions): Promise<UnixSocketTable> {
  const req = unixRequest(options, 'unixSockets');
  return new UnixSocketTable(await callAsync(() => binding().readUnixAsync(req)));
}

/** {@link unixSockets} on the calling thread. */
export function unixSocketsSync(options?: UnixSocketOptions): UnixSocketTable {
  const req = unixRequest(options, 'unixSocketsSync');
  return new UnixSocketTable(callSync(() => binding().readUnix(req)));
}

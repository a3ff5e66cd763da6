// A columnar socket table: typed arrays by field, rows made only when asked for.
import { inspect } from 'node:util';

import { formatAddress } from './address.js';
import {
  BASE_COLUMNS,
  INFO_FIELDS,
  MEMORY_FIELDS,
  type BaseColumn,
  type DumpStats,
  type InfoColumns,
  type InfoField,
  type MemoryField,
  type NativeColumns,
  type NativeTable,
} from './native-types.js';
import type { Protocol } from './options.js';
import { SocketOwners, type ProcessScan, type SocketOwner } from './processes.js';
import { stateName } from './states.js';

/** The kernel's timer kinds, as `netstat -o` names them. */
export const TIMERS = ['off', 'on', 'keepalive', 'timewait', 'probe'] as const;
export type TimerKind = (typeof TIMERS)[number];

/** The base columns a row shows first: formatted (protocol and family make `proto`), ports beside their addresses. */
const FORMATTED = ['protocol', 'family', 'state', 'localAddress', 'localPort', 'remoteAddress', 'remotePort'] as const;
/** The base columns a row shows after them, in the schema's order: numbers, but for `timer`. */
type RowNumberColumn = Exclude<BaseColumn, (typeof FORMATTED)[number] | 'timer'>;
const ROW_COLUMNS = BASE_COLUMNS.map(([name]) => name).filter(
  (name): name is RowNumberColumn | 'timer' => !(FORMATTED as readonly string[]).includes(name),
);

/** One socket, with addresses as text (IPv4 dotted, IPv6 as RFC 5952). */
export interface SocketRow extends Record<RowNumberColumn, number> {
  proto: Protocol;
  /** netstat's name (`ESTABLISHED`, `LISTEN`, ...); an unconnected UDP socket is `UNCONN`. */
  state: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Bytes not yet read by the application; for LISTEN, connections waiting for accept(). */
  recvQ: number;
  /** Bytes not yet acknowledged by the peer; for LISTEN read over netlink, the backlog. */
  sendQ: number;
  uid: number;
  /** The socket's inode (0 for TIME_WAIT and request sockets, which have no file). */
  inode: number;
  timer: TimerKind;
  /** Milliseconds until the timer fires. */
  timerExpires: number;
  retransmits: number;
  /** Netlink with `cookie: true`: the kernel's socket cookie, in hex as `ss -e` prints it after `sk:`. */
  cookie?: string;
  /** Netlink with `info: true`: tcp_info, fields the kernel did not send left out. */
  info?: TcpInfo;
  /** Netlink with `memory: true`: SK_MEMINFO, as `ss -m` shows it. */
  memory?: MemInfo;
  /** With `processes: true` only: the processes holding it open; [] for TIME_WAIT and request sockets, which have no file. */
  owners?: SocketOwner[];
}

/** tcp_info: times in microseconds (`rtt`, `rttvar`, `minRtt`) or milliseconds ago (`lastData*`), rates in bytes per second. */
export type TcpInfo = Partial<Record<InfoField, number>> & { congestion?: string };
/** SK_MEMINFO in bytes (`drops` in packets). */
export type MemInfo = Partial<Record<MemoryField, number>>;

/** Row `i`'s tcp_info, fields the kernel did not send left out. */
export function tcpInfoOf(columns: InfoColumns, i: number): TcpInfo {
  const info: TcpInfo = present(INFO_FIELDS, columns, i);
  const cong = columns.congestion[i]!;
  if (cong) info.congestion = columns.congestionNames[cong]!;
  return info;
}

function present<K extends string>(fields: readonly K[], columns: Record<K, Float64Array>, i: number) {
  const out: Partial<Record<K, number>> = {};
  for (const f of fields) {
    const v = columns[f][i]!;
    if (!Number.isNaN(v)) out[f] = v;
  }
  return out;
}

/** The typed-array columns of a table; addresses take 16 bytes a row. */
export type SocketColumns = NativeColumns;

export class SocketTable implements Iterable<SocketRow> {
  /** Number of sockets. */
  readonly length: number;
  /** Which source served the read. */
  readonly source: 'netlink' | 'proc';
  /** One typed array per field, `length` entries each (16 bytes a row for addresses). */
  readonly columns: SocketColumns;
  /** True when the kernel's table kept changing during a netlink dump even after retries: rows may be missing or doubled. */
  readonly inconsistent: boolean;
  /** How the netlink dump went (retries, the kernel's filtering); undefined for /proc. */
  readonly dump: DumpStats | undefined;
  /** With `processes: true` only: each row's owning processes, columnar. */
  readonly owners?: SocketOwners;
  /** With `processes: true` only: how many processes were read, and how many could not be. */
  readonly processScan?: ProcessScan;

  constructor(native: NativeTable) {
    this.length = native.length;
    this.source = native.source;
    this.columns = native.columns;
    this.inconsistent = native.inconsistent;
    this.dump = native.dump;
    if (native.owners) {
      this.owners = new SocketOwners(native.owners);
      this.processScan = this.owners.scan;
    }
  }

  /** The protocol-and-family name of row `i`: tcp, tcp6, udp or udp6. */
  proto(i: number): Protocol {
    const c = this.columns;
    return `${c.protocol[i] === 6 ? 'tcp' : 'udp'}${c.family[i] === 6 ? '6' : ''}` as Protocol;
  }

  /** Row `i` as an object, or undefined past the end. */
  get(i: number): SocketRow | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    const c = this.columns;
    const family = c.family[i]!;
    const row = {
      proto: this.proto(i),
      state: stateName(c.state[i]!, c.protocol[i]!),
      localAddress: formatAddress(c.localAddress, i, family),
      localPort: c.localPort[i]!,
      remoteAddress: formatAddress(c.remoteAddress, i, family),
      remotePort: c.remotePort[i]!,
    } as SocketRow;
    for (const name of ROW_COLUMNS) {
      if (name === 'timer') row.timer = TIMERS[c.timer[i]!] ?? 'off';
      else row[name] = c[name][i]!;
    }
    if (this.owners) row.owners = this.owners.of(i);
    if (c.cookie) row.cookie = c.cookie[i]!.toString(16);
    if (c.info) {
      const info = tcpInfoOf(c.info, i);
      if (Object.keys(info).length) row.info = info;
    }
    if (c.memory) {
      const memory = present(MEMORY_FIELDS, c.memory, i);
      if (Object.keys(memory).length) row.memory = memory;
    }
    return row;
  }

  /** Like get(), counting back from the end for a negative index. */
  at(i: number): SocketRow | undefined {
    return this.get(i < 0 ? this.length + i : i);
  }

  *[Symbol.iterator](): Iterator<SocketRow> {
    for (let i = 0; i < this.length; i++) yield this.get(i)!;
  }

  /** Every row as an object: what a small table is for; a large one is better read by column. */
  toArray(): SocketRow[] {
    return Array.from(this);
  }

  toJSON(): SocketRow[] {
    return this.toArray();
  }

  [inspect.custom](): string {
    const head = this.toArray().slice(0, 5);
    const more = this.length > head.length ? `\n  ... ${this.length - head.length} more` : '';
    return `SocketTable(${this.length}, source: ${this.source}) ${inspect(head)}${more}`;
  }
}

// The shapes the addon takes and returns. Options reach it validated (see options.ts).
// The column lists mirror native/table/columns.h, which the addon exports as `schema`; a test
// compares the two, so a column is added there and here.

/** The base columns every read returns, in order: JS name and typed array. */
export const BASE_COLUMNS = [
  ['protocol', 'Uint8Array'],
  ['family', 'Uint8Array'],
  ['state', 'Uint8Array'],
  ['localAddress', 'Uint8Array'],
  ['remoteAddress', 'Uint8Array'],
  ['localPort', 'Uint16Array'],
  ['remotePort', 'Uint16Array'],
  ['recvQ', 'Uint32Array'],
  ['sendQ', 'Uint32Array'],
  ['uid', 'Uint32Array'],
  ['inode', 'Uint32Array'],
  ['timer', 'Uint8Array'],
  ['timerExpires', 'Uint32Array'],
  ['retransmits', 'Uint8Array'],
] as const;
export type BaseColumn = (typeof BASE_COLUMNS)[number][0];

interface TypedArrays {
  Uint8Array: Uint8Array;
  Uint16Array: Uint16Array;
  Uint32Array: Uint32Array;
}
/** The base columns by name, each its typed array. */
export type BaseColumns = { [C in (typeof BASE_COLUMNS)[number] as C[0]]: TypedArrays[C[1]] };

/** tcp_info fields as columns; NaN where the kernel sent none (older kernels, UDP, TIME_WAIT). */
export const INFO_FIELDS = [
  'rtt', 'rttvar', 'minRtt', 'sndCwnd', 'sndSsthresh', 'retransmits', 'totalRetrans', 'lost', 'unacked',
  'bytesAcked', 'bytesReceived', 'bytesRetrans', 'deliveryRate', 'pacingRate', 'lastDataSent', 'lastDataRecv',
] as const;
export type InfoField = (typeof INFO_FIELDS)[number];

/** SK_MEMINFO fields as columns; NaN where absent. */
export const MEMORY_FIELDS = [
  'rmemAlloc', 'rcvbuf', 'wmemAlloc', 'sndbuf', 'fwdAlloc', 'wmemQueued', 'optmem', 'backlog', 'drops',
] as const;
export type MemoryField = (typeof MEMORY_FIELDS)[number];

export type InfoColumns = Record<InfoField, Float64Array> & {
  /** Index into `congestionNames`; 0 = none. */
  congestion: Uint8Array;
  congestionNames: string[];
};
export type MemoryColumns = Record<MemoryField, Float64Array>;

/** What every native read takes. Masks: bit N = table N (tcp, tcp6, udp, udp6) or state N. */
export interface NativeRequest {
  source: 'auto' | 'netlink' | 'proc';
  tables: number;
  optionalTables: number;
  states: number;
  /** Port filters as flat [low, high, low, high, ...] pairs; empty means any port. */
  localPorts: number[];
  remotePorts: number[];
  procRoot: string;
  /** Netlink extensions (snapshot only). */
  info: boolean;
  memory: boolean;
  /** Hand over the cookie column (netlink). */
  cookie: boolean;
  /** Parse this recorded netlink dump instead of asking the kernel (SOCKSCOPE_NETLINK_FILE). */
  replayFile?: string;
  /** Write the bytes of a netlink table dump here (snapshot's recordFile). */
  recordFile?: string;
  /** A namespace file to read inside (a native thread joins it); procRoot is then ignored. */
  netns?: string;
  /** Also scan /proc for each socket's owners (snapshot's processes: true). */
  processes?: boolean;
  processRoot?: string;
  /** Netlink: 0 = auto, 1 = one dump, K >= 2 = K partitioned dumps. */
  partitions: number;
}

export interface NativeColumns extends BaseColumns {
  /** Netlink with `cookie: true`: the kernel's socket cookie. */
  cookie?: BigUint64Array;
  /** Netlink with `info: true`. */
  info?: InfoColumns;
  /** Netlink with `memory: true`. */
  memory?: MemoryColumns;
}

/** How a netlink dump went. */
export interface DumpStats {
  /** Walks redone because the table changed under the dump (NLM_F_DUMP_INTR) or the kernel dropped part of it (ENOBUFS). */
  restarts: number;
  /** Rows the kernel sent although the filter excluded them; 0 when it honoured the filter. */
  filteredInUserspace: number;
  /** One walk of the hash answered for tcp and tcp6 (TCPDIAG_GETSOCK). */
  combinedFamily: boolean;
  /** Dumps run in parallel, each over its own share of the ports, and merged (1: one dump). */
  partitions: number;
  /** Counts only: ESTABLISHED was taken from the kernel's counter (Tcp CurrEstab), the other states dumped. */
  establishedCounter: boolean;
}

export interface NativeTable {
  length: number;
  source: 'netlink' | 'proc';
  columns: NativeColumns;
  /** True when the kernel's table kept changing during a netlink dump, even after retries. */
  inconsistent: boolean;
  /** Netlink only. */
  dump?: DumpStats;
  /** Present when the request asked for processes. */
  owners?: NativeOwners;
}

/** Socket owners by row (see native/process_map.h), and the command of each pid found. */
export interface NativeOwners {
  start: Uint32Array;
  pid: Int32Array;
  fd: Int32Array;
  commandPid: Int32Array;
  command: string[];
  scanned: number;
  skipped: number;
}

export interface NativeCounts {
  source: 'netlink' | 'proc';
  inconsistent: boolean;
  /** Netlink only. */
  dump?: DumpStats;
  /** Indexed by kernel state number; index 0 unused. */
  counts: number[];
}

/** One column as the addon's schema lists it. */
export interface SchemaColumn {
  name: string;
  type: string;
}

/** The column schema the addon was built with (native/table/columns.h). */
export interface NativeSchema {
  base: SchemaColumn[];
  info: SchemaColumn[];
  memory: SchemaColumn[];
}

export interface NativeBinding {
  schema: NativeSchema;
  read(req: NativeRequest): NativeTable;
  readAsync(req: NativeRequest): Promise<NativeTable>;
  count(req: NativeRequest): NativeCounts;
  countAsync(req: NativeRequest): Promise<NativeCounts>;
  Events: new (req: NativeEventsRequest) => NativeEvents;
}

/** What the close-events handle takes (see src/events.ts). */
export interface NativeEventsRequest {
  tables: number;
  states: number;
  localPorts: number[];
  remotePorts: number[];
  receiveBuffer: number;
  batchSize: number;
}

/** One batch of close events, or the end after close(). */
export type NativeEventBatch =
  | { closed: true }
  | { closed: false; length: number; lost: number; overruns: number; filtered: number; columns: NativeColumns };

/** The close-events handle: next() waits (a uv_poll on its socket) for a batch. */
export interface NativeEvents {
  receiveBuffer: number;
  next(): Promise<NativeEventBatch>;
  close(): void;
}

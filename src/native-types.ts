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
  /** Netlink: a filter expression's INET_DIAG_REQ_BYTECODE, ANDed with the port filters (filter-option.ts). */
  bytecode?: Uint8Array;
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

/** countBy's part of a request: key numbers (GROUP_KEYS' order), prefix lengths, 0 = every group. */
export interface NativeGroupRequest extends NativeRequest {
  groupKeys: number[];
  prefix4: number;
  prefix6: number;
  top: number;
}

/** Ranked groups: `width` bytes of encoded key per group (each key at its offset), and counts. */
export interface NativeGroups {
  source: 'netlink' | 'proc';
  inconsistent: boolean;
  dump?: DumpStats;
  width: number;
  offsets: number[];
  keys: Uint8Array;
  counts: Float64Array;
  /** Sockets, and groups, that `top` left out. */
  otherCount: number;
  otherGroups: number;
  total: number;
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
  /**
   * Rows dropped after the kernel answered: those it sent although the request's states or ports
   * excluded them (0 when it honoured them), plus those a `filter` expression rejected in userspace
   * where the kernel's bytecode is not enough (an address condition under `not`).
   */
  filteredInUserspace: number;
  /** One walk of the hash answered for tcp and tcp6 (TCPDIAG_GETSOCK). */
  combinedFamily: boolean;
  /** Dumps run in parallel, each over its own share of the ports, and merged (1: one dump). */
  partitions: number;
  /** Counts only: ESTABLISHED was taken from the kernel's counter (Tcp CurrEstab), the other states dumped. */
  establishedCounter: boolean;
  /** Counts only: TIME_WAIT was taken from the kernel's count (sockstat's `tw`), the other states dumped. */
  timeWaitCounter: boolean;
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

/** What a UNIX-socket read takes (see native/unix/unix_reader.h). `states`: bit N = kernel state N. */
export interface NativeUnixRequest {
  source: 'auto' | 'netlink' | 'proc';
  states: number;
  procRoot: string;
  netns?: string;
  processes?: boolean;
  processRoot?: string;
}

/** The UNIX-socket columns. Row i's name is `nameBytes[nameStart[i], nameStart[i + 1])`. */
export interface NativeUnixColumns {
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. */
  type: Uint8Array;
  /** Kernel TCP state numbering, as unix_diag reports it. */
  state: Uint8Array;
  inode: Uint32Array;
  /** 0: no peer (or unknown, from /proc). */
  peerInode: Uint32Array;
  recvQ: Uint32Array;
  sendQ: Uint32Array;
  /** NaN where unknown (kernels before 5.3, /proc). */
  uid: Float64Array;
  nameStart: Uint32Array;
  /** Filesystem paths without a NUL; abstract names start with a NUL byte. */
  nameBytes: Uint8Array;
}

export interface NativeUnixTable {
  length: number;
  source: 'netlink' | 'proc';
  inconsistent: boolean;
  /** Netlink: dumps redone (NLM_F_DUMP_INTR, ENOBUFS). */
  restarts: number;
  columns: NativeUnixColumns;
  owners?: NativeOwners;
}

export interface NativeBinding {
  schema: NativeSchema;
  read(req: NativeRequest): NativeTable;
  readAsync(req: NativeRequest): Promise<NativeTable>;
  count(req: NativeRequest): NativeCounts;
  countAsync(req: NativeRequest): Promise<NativeCounts>;
  countBy(req: NativeGroupRequest): NativeGroups;
  countByAsync(req: NativeGroupRequest): Promise<NativeGroups>;
  readUnix(req: NativeUnixRequest): NativeUnixTable;
  readUnixAsync(req: NativeUnixRequest): Promise<NativeUnixTable>;
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

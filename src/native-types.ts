// The shapes the addon takes and returns. Options reach it validated (see options.ts).

/** What every native read takes. Masks: bit N = table N (tcp, tcp6, udp, udp6) or state N. */
export interface NativeRequest {
  source: 'netlink' | 'proc';
  tables: number;
  optionalTables: number;
  states: number;
  procRoot: string;
  /** A namespace file to read inside (a native thread joins it); procRoot is then ignored. */
  netns?: string;
  /** Also scan /proc for each socket's owners (snapshot's processes: true). */
  processes?: boolean;
  processRoot?: string;
}

export interface NativeColumns {
  protocol: Uint8Array;
  family: Uint8Array;
  state: Uint8Array;
  localAddress: Uint8Array;
  remoteAddress: Uint8Array;
  localPort: Uint16Array;
  remotePort: Uint16Array;
  recvQ: Uint32Array;
  sendQ: Uint32Array;
  uid: Uint32Array;
  inode: Uint32Array;
  timer: Uint8Array;
  timerExpires: Uint32Array;
  retransmits: Uint8Array;
}

export interface NativeTable {
  length: number;
  source: 'netlink' | 'proc';
  columns: NativeColumns;
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
  /** Indexed by kernel state number; index 0 unused. */
  counts: number[];
}

export interface NativeBinding {
  read(req: NativeRequest): NativeTable;
  readAsync(req: NativeRequest): Promise<NativeTable>;
  count(req: NativeRequest): NativeCounts;
  countAsync(req: NativeRequest): Promise<NativeCounts>;
}

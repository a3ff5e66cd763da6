// The shapes the addon takes and returns. Options reach it validated (see options.ts).

/** What every native read takes. Masks: bit N = table N (tcp, tcp6, udp, udp6) or state N. */
export interface NativeRequest {
  source: 'netlink' | 'proc';
  tables: number;
  optionalTables: number;
  states: number;
  /** Port filters as flat [low, high, low, high, ...] pairs; empty means any port. */
  localPorts: number[];
  remotePorts: number[];
  procRoot: string;
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

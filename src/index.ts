export { snapshot, snapshotSync, countStates, countStatesSync } from './read.js';
export { SocketTable, TIMERS } from './table.js';
export type { SocketRow, SocketColumns, TimerKind } from './table.js';
export { TCP_STATES } from './states.js';
export type { TcpState, StateCounts } from './states.js';
export { PROTOCOLS, SOURCES } from './options.js';
export type { Protocol, Source, ReadOptions } from './options.js';
export { SockscopeError } from './errors.js';
export { formatIPv4, formatIPv6 } from './address.js';

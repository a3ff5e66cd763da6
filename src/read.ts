// The reads: a socket table, or per-state counts, each in a threadpool and a synchronous form.
import { binding } from './binding.js';
import { callAsync, callSync } from './errors.js';
import { EXTENSION_OPTION_NAMES, toNativeRequest, type ReadOptions, type SnapshotOptions } from './options.js';
import { PROCESS_OPTION_NAMES, processRequest } from './processes.js';
import { toStateCounts, type StateCounts } from './states.js';
import { SocketTable } from './table.js';

const SNAPSHOT_EXTRA_KEYS = [...EXTENSION_OPTION_NAMES, ...PROCESS_OPTION_NAMES];

function snapshotRequest(options: unknown, fn: string) {
  return { ...toNativeRequest(options, fn, SNAPSHOT_EXTRA_KEYS), ...processRequest(options) };
}

/** Reads the socket table on the libuv threadpool (and, with `processes: true`, scans /proc for owners there too). */
export async function snapshot(options?: SnapshotOptions): Promise<SocketTable> {
  const req = snapshotRequest(options, 'snapshot');
  return new SocketTable(await callAsync(() => binding().readAsync(req)));
}

/** Reads the socket table on the calling thread. */
export function snapshotSync(options?: SnapshotOptions): SocketTable {
  const req = snapshotRequest(options, 'snapshotSync');
  return new SocketTable(callSync(() => binding().read(req)));
}

/**
 * Counts sockets per TCP state (tcp and tcp6 by default) on the threadpool, building no table.
 * A count of every TCP state with `partitions: 'auto'` takes ESTABLISHED from the kernel's
 * `Tcp CurrEstab` counter (as `ss -s` does) and TIME_WAIT from sockstat's `tw`, each once a full
 * dump has agreed with it, and dumps the other states; see docs/design.md.
 */
export async function countStates(options?: ReadOptions): Promise<StateCounts> {
  const req = toNativeRequest(options, 'countStates');
  return toStateCounts((await callAsync(() => binding().countAsync(req))).counts);
}

/** Counts sockets per TCP state on the calling thread. */
export function countStatesSync(options?: ReadOptions): StateCounts {
  const req = toNativeRequest(options, 'countStatesSync');
  return toStateCounts(callSync(() => binding().count(req)).counts);
}

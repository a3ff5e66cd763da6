// The reads: a socket table, or per-state counts, each in a threadpool and a synchronous form.
import { binding } from './binding.js';
import { callAsync, callSync } from './errors.js';
import { countByState, filterRequest, filterTable, needsUserspace, type FilterPlan } from './filter-option.js';
import type { NativeCounts, NativeRequest, NativeTable } from './native-types.js';
import { EXTENSION_OPTION_NAMES, toNativeRequest, type ReadOptions, type SnapshotOptions } from './options.js';
import { PROCESS_OPTION_NAMES, processRequest } from './processes.js';
import { toStateCounts, type StateCounts } from './states.js';
import { SocketTable } from './table.js';

const SNAPSHOT_EXTRA_KEYS = [...EXTENSION_OPTION_NAMES, ...PROCESS_OPTION_NAMES, 'filter'];

/** The native request of `options` (validated, `filter` included) and what its filter leaves to do. */
function filteredRequest(options: unknown, fn: string, extraKeys: readonly string[]): { req: NativeRequest; plan: FilterPlan | null } {
  const req = toNativeRequest(options, fn, extraKeys);
  const f = filterRequest((options as { filter?: unknown } | undefined)?.filter, req.states);
  return { req: { ...req, states: f.states, ...(f.bytecode && { bytecode: f.bytecode }) }, plan: f.plan };
}

function snapshotRequest(options: unknown, fn: string) {
  const { req, plan } = filteredRequest(options, fn, SNAPSHOT_EXTRA_KEYS);
  return { req: { ...req, ...processRequest(options) }, plan };
}

/** Reads the socket table on the libuv threadpool (and, with `processes: true`, scans /proc for owners there too). */
export async function snapshot(options?: SnapshotOptions): Promise<SocketTable> {
  const { req, plan } = snapshotRequest(options, 'snapshot');
  return new SocketTable(filterTable(await callAsync(() => binding().readAsync(req)), plan));
}

/** Reads the socket table on the calling thread. */
export function snapshotSync(options?: SnapshotOptions): SocketTable {
  const { req, plan } = snapshotRequest(options, 'snapshotSync');
  return new SocketTable(filterTable(callSync(() => binding().read(req)), plan));
}

/** Counts of a filtered table: what a count becomes when the filter must run on the rows. */
function tableCounts(native: NativeTable, plan: FilterPlan | null): NativeCounts {
  const t = filterTable(native, plan);
  return { source: t.source, inconsistent: t.inconsistent, ...(t.dump && { dump: t.dump }), counts: countByState(t) };
}

/**
 * Counts sockets per TCP state (tcp and tcp6 by default) on the threadpool, building no table.
 * A count of every TCP state with `partitions: 'auto'` takes ESTABLISHED from the kernel's
 * `Tcp CurrEstab` counter (as `ss -s` does) and TIME_WAIT from sockstat's `tw`, each once a full
 * dump has agreed with it, and dumps the other states; see docs/design.md. With a `filter` that
 * must run in userspace (the /proc source, an address under `not`), the table is read and its
 * filtered rows counted.
 */
export async function countStates(options?: ReadOptions): Promise<StateCounts> {
  const { req, plan } = filteredRequest(options, 'countStates', ['filter']);
  const readTable = async () => tableCounts(await callAsync(() => binding().readAsync(req)), plan);
  if (needsUserspace(plan, req.source === 'proc' ? 'proc' : 'netlink')) return toStateCounts((await readTable()).counts);
  const counted = await callAsync(() => binding().countAsync(req));
  // `auto` fell back to /proc, which has no kernel filter: count the filtered rows instead.
  return toStateCounts((needsUserspace(plan, counted.source) ? await readTable() : counted).counts);
}

/** Counts sockets per TCP state on the calling thread. */
export function countStatesSync(options?: ReadOptions): StateCounts {
  const { req, plan } = filteredRequest(options, 'countStatesSync', ['filter']);
  const readTable = () => tableCounts(callSync(() => binding().read(req)), plan);
  if (needsUserspace(plan, req.source === 'proc' ? 'proc' : 'netlink')) return toStateCounts(readTable().counts);
  const counted = callSync(() => binding().count(req));
  return toStateCounts((needsUserspace(plan, counted.source) ? readTable() : counted).counts);
}

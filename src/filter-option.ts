// The `filter` read option: an ss filter expression. Its state words narrow the request's state
// mask, its expression goes to the kernel as INET_DIAG_REQ_BYTECODE, and where the kernel's verdict
// is not enough (the /proc source, or an address under `not`) the rows are filtered here, column
// by column, with no object per row.
import { compileBytecode, evaluate, parseFilter, type FilterNode, type SocketFields } from './filter/index.js';
import type { NativeColumns, NativeOwners, NativeTable } from './native-types.js';
import { invalid } from './validate.js';

/** What a read must still do with its rows after the native read: run `expression` on them when `userspace`. */
export interface FilterPlan {
  readonly expression: FilterNode;
  /** True when the kernel's verdict must be checked here too; the /proc source always is. */
  readonly userspace: boolean;
}

/** The request fields a filter sets, and what is left to do after the read. */
export interface FilterRequest {
  /** The request's state mask narrowed to the filter's state words (SYN_RECV also asks for request sockets, 12). */
  states: number;
  bytecode?: Uint8Array;
  plan: FilterPlan | null;
}

const SYN_RECV = 1 << 3;
const NEW_SYN_RECV = 1 << 12;

/**
 * Validates `value` (the `filter` option) and narrows `states` (the request's mask) by its state
 * words. Throws TypeError for a non-string, FilterSyntaxError (code ERR_FILTER_SYNTAX) for an
 * expression ss's grammar does not accept.
 */
export function filterRequest(value: unknown, states: number): FilterRequest {
  if (value === undefined) return { states, plan: null };
  if (typeof value !== 'string') throw invalid(TypeError, 'a string (an ss filter expression)', 'filter', value);
  const parsed = parseFilter(value);
  const narrowed = parsed.states === null ? states : states & (parsed.states | (parsed.states & SYN_RECV ? NEW_SYN_RECV : 0));
  if (parsed.expression === null) return { states: narrowed, plan: null };
  const compiled = compileBytecode(parsed.expression);
  return {
    states: narrowed,
    ...(compiled.bytecode && { bytecode: compiled.bytecode }),
    plan: { expression: parsed.expression, userspace: compiled.userspace },
  };
}

/** True when `plan` must run on the rows of a read served by `source`. */
export function needsUserspace(plan: FilterPlan | null, source: 'netlink' | 'proc'): plan is FilterPlan {
  return plan !== null && (plan.userspace || source === 'proc');
}

/** The indices of the rows of `native` that `expression` accepts, ascending. */
function keptRows(native: NativeTable, expression: FilterNode): Uint32Array {
  const c = native.columns;
  const row: SocketFields = {
    family: 0, local: c.localAddress, localOffset: 0, remote: c.remoteAddress, remoteOffset: 0,
    localPort: 0, remotePort: 0, state: 0,
  };
  const kept = new Uint32Array(native.length);
  let m = 0;
  for (let i = 0; i < native.length; i++) {
    row.family = c.family[i]!;
    row.localOffset = row.remoteOffset = i * 16;
    row.localPort = c.localPort[i]!;
    row.remotePort = c.remotePort[i]!;
    row.state = c.state[i]!;
    if (evaluate(expression, row)) kept[m++] = i;
  }
  return kept.subarray(0, m);
}

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array | BigUint64Array;

/** The rows `kept` of a column of `rows` rows (each `column.length / rows` entries wide). */
function compact<T extends Typed>(column: T, rows: number, kept: Uint32Array): T {
  const width = rows === 0 ? 1 : column.length / rows;
  const out = new (column.constructor as new (n: number) => T)(kept.length * width);
  for (let j = 0; j < kept.length; j++) {
    const at = kept[j]! * width;
    if (width === 1) out[j] = column[at]!;
    else out.set(column.subarray(at, at + width) as never, j * width);
  }
  return out;
}

function compactGroup<G extends Record<string, unknown>>(group: G, rows: number, kept: Uint32Array): G {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(group)) {
    out[name] = ArrayBuffer.isView(value) ? compact(value as Typed, rows, kept) : value;
  }
  return out as G;
}

/** Owners are ragged (row i's in [start[i], start[i + 1])): the kept rows' runs, restarted from 0. */
function compactOwners(owners: NativeOwners, kept: Uint32Array): NativeOwners {
  const start = new Uint32Array(kept.length + 1);
  let total = 0;
  for (let j = 0; j < kept.length; j++) {
    total += owners.start[kept[j]! + 1]! - owners.start[kept[j]!]!;
    start[j + 1] = total;
  }
  const pid = new Int32Array(total);
  const fd = new Int32Array(total);
  for (let j = 0; j < kept.length; j++) {
    const from = owners.start[kept[j]!]!;
    const to = owners.start[kept[j]! + 1]!;
    pid.set(owners.pid.subarray(from, to), start[j]);
    fd.set(owners.fd.subarray(from, to), start[j]);
  }
  return { ...owners, start, pid, fd };
}

/**
 * `native` with only the rows `plan`'s expression accepts, when the read's source needs that
 * (see {@link needsUserspace}); else `native` itself. The rows dropped are added to
 * `dump.filteredInUserspace` on a netlink read.
 */
export function filterTable(native: NativeTable, plan: FilterPlan | null): NativeTable {
  if (!needsUserspace(plan, native.source)) return native;
  const kept = keptRows(native, plan.expression);
  const dropped = native.length - kept.length;
  if (dropped === 0) return native;
  const n = native.length;
  const columns = compactGroup(native.columns as unknown as Record<string, unknown>, n, kept) as unknown as NativeColumns;
  if (native.columns.info) columns.info = compactGroup(native.columns.info, n, kept);
  if (native.columns.memory) columns.memory = compactGroup(native.columns.memory, n, kept);
  return {
    ...native,
    length: kept.length,
    columns,
    ...(native.dump && { dump: { ...native.dump, filteredInUserspace: native.dump.filteredInUserspace + dropped } }),
    ...(native.owners && { owners: compactOwners(native.owners, kept) }),
  };
}

/** Counts by kernel state number (index 0 unused) of a table's rows. */
export function countByState(native: NativeTable): number[] {
  const counts = new Array<number>(13).fill(0);
  for (const s of native.columns.state) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

// Socket counts grouped by some of their fields, aggregated in C++ as the dump is parsed: no
// table, no object per socket, and with `top` a result of bounded size whatever the table holds.
import { formatIPv4, formatIPv6 } from './address.js';
import { binding } from './binding.js';
import { callAsync, callSync } from './errors.js';
import { filterRequest } from './filter-option.js';
import type { NativeGroups, NativeRequest } from './native-types.js';
import { toNativeRequest, type ReadOptions } from './options.js';
import { TCP_STATES, type TcpState } from './states.js';
import { checkInteger, invalid } from './validate.js';

/** What sockets can be grouped by; the order is the addon's key numbering. */
export const GROUP_KEYS = [
  'state',
  'family',
  'localAddress',
  'localPort',
  'remoteAddress',
  'remotePort',
  'uid',
  'remotePrefix',
] as const;
/** A field to group sockets by. `remotePrefix` is the remote address cut to a prefix (`10.1.2.0/24`). */
export type GroupKey = (typeof GROUP_KEYS)[number];

/** Options of `countBy`: the read options, the keys, the prefix lengths and how many groups to keep. */
export interface CountByOptions extends ReadOptions {
  /** The key, or keys, to group by. */
  by: GroupKey | GroupKey[];
  /** `remotePrefix`: bits kept of an IPv4 address (an IPv4-mapped IPv6 address counts as IPv4). @default 24 */
  prefix4?: number;
  /** `remotePrefix`: bits kept of an IPv6 address. @default 64 */
  prefix6?: number;
  /** Keep the N largest groups; the rest are summed into one `other` entry. @default every group */
  top?: number;
}

/** One group: the value of each key asked for, and how many sockets share them. */
export interface GroupCount {
  state?: TcpState;
  family?: 4 | 6;
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  uid?: number;
  remotePrefix?: string;
  count: number;
}

/** With `top`: the sockets of every group left out, summed. */
export interface OtherCount {
  other: true;
  count: number;
  /** How many groups were left out. */
  groups: number;
}

/**
 * The groups, largest first (ties in a fixed order), then with `top` one {@link OtherCount}.
 * `total` is every socket counted, in the groups and in `other`.
 */
export type CountByResult = Array<GroupCount | OtherCount> & { total: number };

const GROUP_OPTION_NAMES = ['by', 'prefix4', 'prefix6', 'top', 'filter'] as const;

function checkKeys(value: unknown): GroupKey[] {
  const what = `a key or an array of distinct keys of ${GROUP_KEYS.map((k) => JSON.stringify(k)).join(', ')}`;
  const list = Array.isArray(value) ? value : [value];
  if (value === undefined || list.length === 0) throw invalid(TypeError, what, 'by', value);
  for (const k of list) {
    if (typeof k !== 'string') throw invalid(TypeError, what, 'by', value);
    if (!(GROUP_KEYS as readonly string[]).includes(k)) throw invalid(RangeError, what, 'by', value);
  }
  if (new Set(list).size !== list.length) throw invalid(RangeError, what, 'by', value);
  return list as GroupKey[];
}

/** Validates countBy's options into the addon's request. */
export function groupRequest(options: unknown, fn: string) {
  const req = toNativeRequest(options, fn, GROUP_OPTION_NAMES);
  const o = (options ?? {}) as Record<string, unknown>;
  const keys = checkKeys(o.by);
  return {
    ...req,
    ...kernelFilter(o.filter, req, fn),
    groupKeys: keys.map((k) => GROUP_KEYS.indexOf(k)),
    prefix4: checkInteger(o.prefix4, 'prefix4', 0, 32, 24),
    prefix6: checkInteger(o.prefix6, 'prefix6', 0, 128, 64),
    top: checkInteger(o.top, 'top', 1, 2 ** 31 - 1, 0),
  };
}

/**
 * The `filter` option as the kernel runs it. Groups are counted in C++ as rows arrive, so an
 * expression must run in the kernel: never on /proc, nor one whose kernel test differs from ss's
 * (an address under `not`), and `auto` becomes `netlink` so that no fallback counts it unfiltered.
 */
function kernelFilter(value: unknown, req: NativeRequest, fn: string): Partial<NativeRequest> {
  const f = filterRequest(value, req.states);
  if (!f.plan) return { states: f.states };
  if (req.source === 'proc' || f.plan.userspace) {
    throw new RangeError(
      `${fn}() counts in the kernel's dump, so its filter must run there: ` +
        (req.source === 'proc' ? 'not with the /proc source' : 'an address test under "not" is checked in userspace by ss, and cannot be here'),
    );
  }
  return { states: f.states, source: 'netlink', ...(f.bytecode && { bytecode: f.bytecode }) };
}

function formatAddressKey(key: Uint8Array, at: number): string {
  return key[at] === 4 ? formatIPv4(key, at + 1) : formatIPv6(key, at + 1);
}

function formatPrefixKey(key: Uint8Array, at: number): string {
  const address = key[at] === 4 ? formatIPv4(key, at + 2) : formatIPv6(key, at + 2);
  return `${address}/${key[at + 1]}`;
}

type Decoder = (bytes: Uint8Array, view: DataView, at: number, group: GroupCount) => void;

/** Each key's field of a group, from its bytes at `at` (the layout native/aggregate/group_counter.h gives). */
const DECODERS: Record<GroupKey, Decoder> = {
  state: (b, _v, at, g) => void (g.state = TCP_STATES[b[at]! - 1]!),
  family: (b, _v, at, g) => void (g.family = b[at] as 4 | 6),
  localAddress: (b, _v, at, g) => void (g.localAddress = formatAddressKey(b, at)),
  localPort: (_b, v, at, g) => void (g.localPort = v.getUint16(at)),
  remoteAddress: (b, _v, at, g) => void (g.remoteAddress = formatAddressKey(b, at)),
  remotePort: (_b, v, at, g) => void (g.remotePort = v.getUint16(at)),
  uid: (_b, v, at, g) => void (g.uid = v.getUint32(at)),
  remotePrefix: (b, _v, at, g) => void (g.remotePrefix = formatPrefixKey(b, at)),
};

/** The addon's groups as countBy returns them. */
export function toResult(native: NativeGroups, keys: readonly number[], top: number): CountByResult {
  const { keys: bytes, width, counts } = native;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = keys.map((k, i) => [DECODERS[GROUP_KEYS[k]!], native.offsets[i]!] as const);
  const out = new Array(counts.length) as unknown as CountByResult;
  for (let g = 0; g < counts.length; g++) {
    const group = {} as GroupCount;
    for (const [decode, offset] of fields) decode(bytes, view, g * width + offset, group);
    group.count = counts[g]!;
    out[g] = group;
  }
  if (top > 0) out.push({ other: true, count: native.otherCount, groups: native.otherGroups });
  out.total = native.total;
  return out;
}

/**
 * Counts sockets grouped by `by` on the libuv threadpool, as `ss | awk | sort | uniq -c | sort -nr`
 * would, without building a table: memory grows with the groups, not the sockets.
 */
export async function countBy(options: CountByOptions): Promise<CountByResult> {
  const req = groupRequest(options, 'countBy');
  return toResult(await callAsync(() => binding().countByAsync(req)), req.groupKeys, req.top);
}

/** Counts sockets grouped by `by` on the calling thread. */
export function countBySync(options: CountByOptions): CountByResult {
  const req = groupRequest(options, 'countBySync');
  return toResult(callSync(() => binding().countBy(req)), req.groupKeys, req.top);
}

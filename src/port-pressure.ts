// Ephemeral-port pressure: how much of the local port range each destination uses. A connect()
// needs a local port that no other socket holds toward the same (local address, remote address,
// remote port), so each destination can have at most the range's size at once, TIME_WAIT included.
import path from 'node:path';

import { binding } from './binding.js';
import { groupRequest, toResult, type CountByResult, type GroupCount } from './count-by.js';
import { callAsync, callSync, SockscopeError } from './errors.js';
import { READ_OPTION_NAMES, type ReadOptions } from './options.js';
import { readProcFile, readProcFileSync } from './proc-files.js';
import { checkKeys, checkObject, checkString } from './validate.js';

/** Options of `portPressure`: the read options but `localPort` (the range decides it) and `filter`, where the sysctls are, and how many rows to keep. */
export interface PortPressureOptions extends Omit<ReadOptions, 'localPort' | 'filter'> {
  /** Where the sysctls are read: `net/ipv4/ip_local_port_range` and `ip_local_reserved_ports` under it. @default '/proc/sys' */
  sysRoot?: string;
  /** Keep the N destinations using the most ports. @default every destination */
  top?: number;
}

/** One destination's use of the ephemeral ports. */
export interface PortPressure {
  localAddress: string;
  remoteAddress: string;
  remotePort: number;
  /** Sockets toward this destination whose local port lies in the range (less the reserved ports). */
  used: number;
  established: number;
  timeWait: number;
  /** Every other state but LISTEN (SYN_SENT, FIN_WAIT1, CLOSE_WAIT, ...). */
  other: number;
  /** Ports in the range, less the reserved ones: the most this destination can use at once. */
  rangeSize: number;
  /** used / rangeSize. */
  fraction: number;
}

/** The destinations, most used first, and the range they were measured against. */
export type PortPressureResult = PortPressure[] & {
  /** net.ipv4.ip_local_port_range. */
  range: [number, number];
  /** Ports of the range listed in net.ipv4.ip_local_reserved_ports. */
  reserved: number;
  rangeSize: number;
};

const RANGE_FILE = 'net/ipv4/ip_local_port_range';
const RESERVED_FILE = 'net/ipv4/ip_local_reserved_ports';
const NOT_LISTEN = ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING'] as const;

function parseError(file: string, text: string): SockscopeError {
  return new SockscopeError(`${file}: expected ${file.endsWith('range') ? 'two ports' : 'a list of ports and ranges'} but found ${JSON.stringify(text.trim())}`, 'ERR_SYSCTL_PARSE');
}

/** "32768\t60999\n" → [32768, 60999]. */
export function parsePortRange(text: string, file = RANGE_FILE): [number, number] {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo > hi || hi > 65535) throw parseError(file, text);
  return [lo, hi];
}

/** "8080,9000-9100\n" → [[8080, 8080], [9000, 9100]]; empty text, none. */
export function parseReservedPorts(text: string, file = RESERVED_FILE): [number, number][] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return trimmed.split(',').map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2] ?? m?.[1]);
    if (!m || lo > hi || hi > 65535) throw parseError(file, text);
    return [lo, hi];
  });
}

/** The range less the reserved ports, as sorted disjoint [low, high] pairs. */
export function usablePorts(range: [number, number], reserved: [number, number][]): [number, number][] {
  let out: [number, number][] = [range];
  for (const [rlo, rhi] of reserved) {
    out = out.flatMap(([lo, hi]): [number, number][] => {
      if (rhi < lo || rlo > hi) return [[lo, hi]];
      const keep: [number, number][] = [];
      if (rlo > lo) keep.push([lo, rlo - 1]);
      if (rhi < hi) keep.push([rhi + 1, hi]);
      return keep;
    });
  }
  return out;
}

interface Plan {
  range: [number, number];
  usable: [number, number][];
  rangeSize: number;
}

function plan(rangeText: string, reservedText: string | undefined, sysRoot: string): Plan {
  const range = parsePortRange(rangeText, path.join(sysRoot, RANGE_FILE));
  const reserved = reservedText === undefined ? [] : parseReservedPorts(reservedText, path.join(sysRoot, RESERVED_FILE));
  const usable = usablePorts(range, reserved);
  return { range, usable, rangeSize: usable.reduce((n, [lo, hi]) => n + hi - lo + 1, 0) };
}

/** A missing reserved-ports file (older kernels) reserves nothing. */
function orUndefined(err: unknown): undefined {
  if (err instanceof SockscopeError && err.code === 'ENOENT') return undefined;
  throw err;
}

function request(options: unknown, fn: string, p: Plan) {
  const o = checkObject(options, 'options');
  if (o.localPort !== undefined) {
    throw new RangeError(`${fn}() reads the local ports of the ephemeral range itself, so it takes no localPort`);
  }
  checkKeys(o, [...READ_OPTION_NAMES.filter((k) => k !== 'localPort'), 'sysRoot', 'top'], fn);
  const { sysRoot: _sysRoot, ...read } = o;
  // A range all reserved leaves no usable port: ask for port 0, which no connected socket has.
  const localPort = p.usable.length ? p.usable : [0];
  return groupRequest({ states: [...NOT_LISTEN], ...read, localPort, by: ['localAddress', 'remoteAddress', 'remotePort', 'state'] }, fn);
}

function sysRootOf(options: unknown): string {
  const o = checkObject(options, 'options');
  return o.sysRoot === undefined ? '/proc/sys' : checkString(o.sysRoot, 'sysRoot');
}

/** Folds (destination, state) groups into one row per destination, most used first. */
function toPressure(groups: CountByResult, p: Plan, top: number): PortPressureResult {
  const byDestination = new Map<string, PortPressure>();
  for (const g of groups as GroupCount[]) {
    const key = `${g.localAddress} ${g.remoteAddress} ${g.remotePort}`;
    let row = byDestination.get(key);
    if (!row) {
      row = { localAddress: g.localAddress!, remoteAddress: g.remoteAddress!, remotePort: g.remotePort!, used: 0, established: 0, timeWait: 0, other: 0, rangeSize: p.rangeSize, fraction: 0 };
      byDestination.set(key, row);
    }
    row.used += g.count;
    if (g.state === 'ESTABLISHED') row.established += g.count;
    else if (g.state === 'TIME_WAIT') row.timeWait += g.count;
    else row.other += g.count;
  }
  const rows = [...byDestination.values()];
  for (const r of rows) r.fraction = p.rangeSize ? r.used / p.rangeSize : 0;
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  rows.sort((a, b) => b.used - a.used || text(a.remoteAddress, b.remoteAddress) || a.remotePort - b.remotePort || text(a.localAddress, b.localAddress));
  const out = (top > 0 ? rows.slice(0, top) : rows) as PortPressureResult;
  out.range = p.range;
  out.reserved = p.range[1] - p.range[0] + 1 - p.rangeSize;
  out.rangeSize = p.rangeSize;
  return out;
}

/**
 * For each destination (local address, remote address, remote port), the sockets holding a local
 * port of `net.ipv4.ip_local_port_range` (less `ip_local_reserved_ports`), against the range's size.
 */
export async function portPressure(options?: PortPressureOptions): Promise<PortPressureResult> {
  const sysRoot = sysRootOf(options);
  const [rangeText, reservedText] = await Promise.all([
    readProcFile(path.join(sysRoot, RANGE_FILE)),
    readProcFile(path.join(sysRoot, RESERVED_FILE)).catch(orUndefined),
  ]);
  const p = plan(rangeText, reservedText, sysRoot);
  const req = request(options, 'portPressure', p);
  const groups = toResult(await callAsync(() => binding().countByAsync({ ...req, top: 0 })), req.groupKeys, 0);
  return toPressure(groups, p, req.top);
}

/** portPressure on the calling thread. */
export function portPressureSync(options?: PortPressureOptions): PortPressureResult {
  const sysRoot = sysRootOf(options);
  let reservedText: string | undefined;
  try {
    reservedText = readProcFileSync(path.join(sysRoot, RESERVED_FILE));
  } catch (err) {
    reservedText = orUndefined(err);
  }
  const p = plan(readProcFileSync(path.join(sysRoot, RANGE_FILE)), reservedText, sysRoot);
  const req = request(options, 'portPressureSync', p);
  const groups = toResult(callSync(() => binding().countBy({ ...req, top: 0 })), req.groupKeys, 0);
  return toPressure(groups, p, req.top);
}

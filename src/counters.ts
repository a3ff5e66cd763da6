// The kernel's protocol counters: /proc/net/netstat and /proc/net/snmp, what `nstat -az` and
// `netstat -s` print, parsed strictly into numbers by group and name.
import path from 'node:path';

import { SockscopeError } from './errors.js';
import { allInOrder, readProcFile, readProcFileSync } from './proc-files.js';
import { checkKeys, checkObject, checkString } from './validate.js';

/** Counters by group (`TcpExt`, `IpExt`, `MPTcpExt`, `Ip`, `Icmp`, `IcmpMsg`, `Tcp`, `Udp`, `UdpLite`, ...) and name. */
export type NetstatCounters = Record<string, Record<string, number>>;

/** Options of the counter reads. */
export interface CounterOptions {
  /**
   * The directory holding `netstat` and `snmp`: `/proc/<pid>/net` reads the counters of process
   * `pid`'s network namespace (they are kept per namespace). @default '/proc/net'
   */
  procRoot?: string;
}

const FILES = ['netstat', 'snmp'] as const;

/** The counters an operator reads first, and where the kernel keeps them. */
export const KEY_COUNTERS = {
  /** SYNs or handshake ACKs dropped because a listener's accept queue was full (`netstat -s`: "times the listen queue of a socket overflowed"). */
  listenOverflows: ['TcpExt', 'ListenOverflows'],
  /** Everything a listener dropped, overflows included ("SYNs to LISTEN sockets dropped"). */
  listenDrops: ['TcpExt', 'ListenDrops'],
  /** SYN cookies sent: a listener's SYN queue was full. */
  syncookiesSent: ['TcpExt', 'SyncookiesSent'],
  /** SYNs dropped because the SYN queue was full and syncookies were off. */
  reqQFullDrop: ['TcpExt', 'TCPReqQFullDrop'],
  /** Segments dropped because a socket's backlog (owned by the application) was full. */
  backlogDrop: ['TcpExt', 'TCPBacklogDrop'],
  /** Segments retransmitted. */
  retransSegs: ['Tcp', 'RetransSegs'],
  /** Resets sent. */
  outRsts: ['Tcp', 'OutRsts'],
  /** Connection attempts that failed (SYN_SENT or SYN_RECV to CLOSE, SYN_RECV to LISTEN). */
  attemptFails: ['Tcp', 'AttemptFails'],
  /** Resets received in ESTABLISHED or CLOSE_WAIT. */
  estabResets: ['Tcp', 'EstabResets'],
} as const satisfies Record<string, readonly [string, string]>;

/** The named shortcuts of {@link KEY_COUNTERS}. */
export type KeyCounters = Record<keyof typeof KEY_COUNTERS, number>;

/** The shortcuts of `counters`; a counter this kernel does not have reads 0 (it never counted). */
export function keyCounters(counters: NetstatCounters): KeyCounters {
  const out = {} as KeyCounters;
  for (const [key, [group, name]] of Object.entries(KEY_COUNTERS)) {
    out[key as keyof KeyCounters] = counters[group]?.[name] ?? 0;
  }
  return out;
}

/** An ERR_COUNTERS_PARSE error naming file and (1-based) line. */
export function parseError(file: string, line: number, what: string): SockscopeError {
  return new SockscopeError(`${file}:${line}: ${what}`, 'ERR_COUNTERS_PARSE');
}

const INTEGER = /^-?\d+$/;

/** "Group: a b c" → ["Group", ["a", "b", "c"]], or undefined when the line has no group. */
function splitLine(line: string): [string, string[]] | undefined {
  const m = /^(\w+):((?: \S+)*) *$/.exec(line);
  return m ? [m[1]!, m[2]!.split(' ').slice(1)] : undefined;
}

/**
 * Parses one snmp-style file into `into`: pairs of lines, names then values, under the same
 * group with as many values as names (Tcp's MaxConn is signed: -1).
 */
export function parseCounterFile(text: string, file: string, into: NetstatCounters): void {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw parseError(file, 1, 'expected "Group: Name ..." but found the end of the file');
  for (let i = 0; i < lines.length; i += 2) {
    const names = splitLine(lines[i]!);
    if (!names) throw parseError(file, i + 1, `expected "Group: Name ..." but found ${JSON.stringify(lines[i])}`);
    const [group, keys] = names;
    if (Object.hasOwn(into, group)) throw parseError(file, i + 1, `group ${group} appears twice`);
    if (i + 1 >= lines.length) throw parseError(file, i + 2, `expected the values of ${group} but found the end of the file`);
    const values = splitLine(lines[i + 1]!);
    if (!values || values[0] !== group) {
      const found = values ? `group ${values[0]}` : JSON.stringify(lines[i + 1]);
      throw parseError(file, i + 2, `expected the values of ${group} but found ${found}`);
    }
    if (values[1].length !== keys.length) {
      throw parseError(file, i + 2, `${group} has ${keys.length} names but ${values[1].length} values`);
    }
    const fields: Record<string, number> = {};
    keys.forEach((key, k) => {
      const v = values[1][k]!;
      if (Object.hasOwn(fields, key)) throw parseError(file, i + 1, `${group} names ${key} twice`);
      if (!INTEGER.test(v)) throw parseError(file, i + 2, `${group} ${key} is not an integer: ${JSON.stringify(v)}`);
      fields[key] = Number(v);
    });
    into[group] = fields;
  }
}

/** The validated `procRoot` of counter options. */
export function procRootOf(options: unknown, fn: string): string {
  const o = checkObject(options, 'options');
  checkKeys(o, ['procRoot'], fn);
  return o.procRoot === undefined ? '/proc/net' : checkString(o.procRoot, 'procRoot');
}

/**
 * Every counter of `/proc/net/netstat` and `/proc/net/snmp`, as numbers by group and name, read
 * with the fs promises API (the event loop never waits on it). Counters count since the network
 * namespace was made (the host's: since boot): only their increase means anything. Values past
 * 2^53 lose precision.
 *
 * @throws SockscopeError `ERR_COUNTERS_PARSE` naming file and line when a file is not a counter
 *   table; the errno code (`ENOENT`, ...) when one cannot be read.
 */
export async function netstatCounters(options?: CounterOptions): Promise<NetstatCounters> {
  const root = procRootOf(options, 'netstatCounters');
  const files = FILES.map((f) => path.join(root, f));
  const texts = await allInOrder(files.map(readProcFile));
  const out: NetstatCounters = {};
  texts.forEach((text, i) => parseCounterFile(text, files[i]!, out));
  return out;
}

/** {@link netstatCounters} on the calling thread. */
export function netstatCountersSync(options?: CounterOptions): NetstatCounters {
  const root = procRootOf(options, 'netstatCountersSync');
  const out: NetstatCounters = {};
  for (const f of FILES) {
    const file = path.join(root, f);
    parseCounterFile(readProcFileSync(file), file, out);
  }
  return out;
}

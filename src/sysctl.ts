// The few sysctls the doctor reads, from /proc/sys (or a fixture directory). Never written.
import path from 'node:path';

import { SockscopeError } from './errors.js';
import { readProcFile } from './proc-files.js';

/** The TCP sysctls behind the doctor's findings; `undefined` where this kernel has no such file. */
export interface TcpSysctls {
  /** net.core.somaxconn: the cap on every listen() backlog. */
  somaxconn?: number;
  /** net.ipv4.tcp_max_syn_backlog: with syncookies off, SYNs are dropped once a SYN queue is 3/4 of it. */
  tcpMaxSynBacklog?: number;
  /** net.ipv4.tcp_syncookies: 0 off, 1 when a SYN queue is full, 2 always. */
  tcpSyncookies?: number;
  /** net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only. */
  tcpTwReuse?: number;
  /** net.ipv4.tcp_fin_timeout: seconds an orphaned FIN_WAIT2 socket lives. */
  tcpFinTimeout?: number;
  /** net.ipv4.tcp_tw_recycle: removed in Linux 4.12; present only on older kernels. */
  tcpTwRecycle?: number;
  /** net.ipv4.ip_local_port_range: the ephemeral ports, first and last. */
  ipLocalPortRange?: [number, number];
}

const FILES = {
  somaxconn: 'net/core/somaxconn',
  tcpMaxSynBacklog: 'net/ipv4/tcp_max_syn_backlog',
  tcpSyncookies: 'net/ipv4/tcp_syncookies',
  tcpTwReuse: 'net/ipv4/tcp_tw_reuse',
  tcpFinTimeout: 'net/ipv4/tcp_fin_timeout',
  tcpTwRecycle: 'net/ipv4/tcp_tw_recycle',
  ipLocalPortRange: 'net/ipv4/ip_local_port_range',
} as const;

/** The integers of a sysctl file ("32768\t60999\n" → [32768, 60999]); undefined when it is missing. */
async function readIntegers(file: string): Promise<number[] | undefined> {
  let text: string;
  try {
    text = await readProcFile(file);
  } catch (err) {
    if (err instanceof SockscopeError && err.code === 'ENOENT') return undefined;
    throw err;
  }
  const words = text.trim().split(/\s+/);
  if (!words.every((w) => /^-?\d+$/.test(w))) {
    throw new SockscopeError(`${file}: expected integers but found ${JSON.stringify(text.trim())}`, 'ERR_SYSCTL_PARSE');
  }
  return words.map(Number);
}

/** Reads the TCP sysctls under `sysRoot` (/proc/sys: those of the caller's network namespace). */
export async function readTcpSysctls(sysRoot: string): Promise<TcpSysctls> {
  const keys = Object.keys(FILES) as (keyof typeof FILES)[];
  const values = await Promise.all(keys.map((k) => readIntegers(path.join(sysRoot, FILES[k]))));
  const out: TcpSysctls = {};
  keys.forEach((k, i) => {
    const v = values[i];
    if (v === undefined) return;
    if (k === 'ipLocalPortRange') out.ipLocalPortRange = [v[0]!, v[1] ?? v[0]!];
    else out[k] = v[0]!;
  });
  return out;
}

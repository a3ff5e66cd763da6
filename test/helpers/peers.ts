// What ss and netstat print, parsed into the same shape as sockscope's rows for comparison.
import type { SocketOwner } from '../../src/index.js';

export interface PeerRow {
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  remote: string;
}

const SS_STATES: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

/** `host:port` with IPv6 unbracketed, port 0 as `*`, wildcard hosts as the address they mean. */
export function endpointKey(address: string, port: number | string): string {
  return `${address}:${port === 0 || port === '0' ? '*' : port}`;
}

function splitEndpoint(text: string): [string, string] {
  const i = text.lastIndexOf(':');
  let host = text.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return [host, text.slice(i + 1)];
}

/** `ss -tanH`: State Recv-Q Send-Q Local Peer. ss prints `*` for a dual-stack wildcard. */
export function parseSs(out: string): PeerRow[] {
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [state, recvQ, sendQ, local, remote] = line.trim().split(/\s+/);
      const [lh, lp] = splitEndpoint(local!);
      const [rh, rp] = splitEndpoint(remote!);
      const wild = (h: string) => (h === '*' ? '::' : h);
      return {
        state: SS_STATES[state!] ?? state!,
        recvQ: Number(recvQ),
        sendQ: Number(sendQ),
        local: endpointKey(wild(lh), lp),
        remote: endpointKey(wild(rh), rp),
      };
    });
}

/** `netstat -antW`: Proto Recv-Q Send-Q Local Foreign State, after two header lines. */
export function parseNetstat(out: string): PeerRow[] {
  return out
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => {
      const [, recvQ, sendQ, local, remote, state] = line.trim().split(/\s+/);
      const [lh, lp] = splitEndpoint(local!);
      const [rh, rp] = splitEndpoint(remote!);
      return {
        state: state!,
        recvQ: Number(recvQ),
        sendQ: Number(sendQ),
        local: endpointKey(lh, lp),
        remote: endpointKey(rh, rp),
      };
    });
}

/** Counts per state name. */
export function countBy(rows: { state: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}

/** `ss -tanpH`: "local remote" → owners, from its `users:(("cmd",pid=N,fd=N),...)` column. */
export function ssOwners(out: string): Map<string, SocketOwner[]> {
  const owners = new Map<string, SocketOwner[]>();
  for (const line of out.trim().split('\n')) {
    const [, , , local, remote] = line.trim().split(/\s+/);
    // As endpointKey: IPv6 unbracketed, and ss's `*` (a dual-stack wildcard) as `::`.
    const key = [local!, remote!].map((e) => e.replace(/[[\]]/g, '').replace(/^\*:/, ':::')).join(' ');
    owners.set(key, [...line.matchAll(/\("([^"]*)",pid=(\d+),fd=(\d+)\)/g)].map(([, command, pid, fd]) => ({ pid: Number(pid), fd: Number(fd), command: command! })));
  }
  return owners;
}

/** The fields of a sockscope row (or its JSON) that identify it and its owners. */
export interface OwnedRow {
  state: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  owners?: SocketOwner[];
}
/** "local remote", as ssOwners keys its map. */
export const rowKey = (r: OwnedRow) => `${endpointKey(r.localAddress, r.localPort)} ${endpointKey(r.remoteAddress, r.remotePort)}`;

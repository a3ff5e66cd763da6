// Listen queues: per listener, the accept queue, the backlog, and (on request) the half-open
// connections waiting on it, from the socket table.
import { formatAddress } from './address.js';
import { toNativeRequest, type Source } from './options.js';
import { snapshot, snapshotSync } from './read.js';
import type { SocketTable } from './table.js';
import { unixListenQueues, unixListenQueuesSync, type UnixListenQueue } from './unix-queues.js';
import { checkBoolean, checkKeys, checkList, checkObject } from './validate.js';

/** Options of {@link listenQueues}. */
export interface ListenQueueOptions {
  /** Tables to read. @default ['tcp', 'tcp6'] */
  protocols?: ('tcp' | 'tcp6')[];
  /** Read the /proc tables from this directory (`/proc/<pid>/net`, a fixture). Implies `source: 'proc'`. @default '/proc/net' */
  procRoot?: string;
  /** Where to read from. @default 'auto' */
  source?: Source;
  /**
   * Also count each listener's SYN_RECV connections (its half-open queue). This costs a second
   * read that the default call avoids: a dump of SYN_RECV sockets makes the kernel walk its whole
   * established hash, so its price grows with the number of connections on the host, where the
   * LISTEN-only read walks only the listening hash (docs/benchmark.md has the figures).
   * @default false
   */
  synRecv?: boolean;
  /** Also list the UNIX listeners (`proto: 'unix'`, see {@link UnixListenQueue}), after the TCP ones. @default false */
  unix?: boolean;
}

/** A TCP or a UNIX listener's queues, told apart by `proto`. */
export type AnyListenQueue = ListenQueue | UnixListenQueue;

/** One listening socket's queues. */
export interface ListenQueue {
  proto: 'tcp' | 'tcp6';
  localAddress: string;
  localPort: number;
  /** Connections fully established and waiting for `accept()` (the listener's Recv-Q in `ss -ltn`). */
  acceptQueue: number;
  /**
   * The backlog: `min(listen() backlog, net.core.somaxconn)`, the listener's Send-Q in `ss -ltn`.
   * `null` on the /proc source: /proc/net/tcp prints tx_queue 0 for listeners and has no field
   * for it; netlink (sock_diag) reports it.
   */
  backlog: number | null;
  /**
   * Whether the kernel is dropping new connections for this listener. It admits one more than
   * the backlog: sk_acceptq_is_full() is `acceptQueue > backlog`, so a listener of backlog 1
   * holds 2 connections before its next SYN is dropped (counted in ListenOverflows and
   * ListenDrops). `null` when the backlog is unknown.
   */
  full: boolean | null;
  /**
   * Half-open connections (SYN_RECV) for this listener; present only with `synRecv: true`. A
   * listener on a wildcard address (0.0.0.0, ::) counts those to its port on any address of its
   * family, and a dual-stack `::` listener the IPv4 ones too, unless a more specific listener
   * takes them. Listeners sharing an address and port (SO_REUSEPORT) each show the group's count.
   */
  synRecv?: number;
  /**
   * Packets the kernel dropped for this listener since it was created: its own `sk_drops`, as
   * `ss -tlm` shows it (`d`). Every SYN or final ACK refused because the accept queue (or the
   * SYN queue) was full counts here, as in the host-wide ListenOverflows and ListenDrops, so
   * this names *which* listener overflows; so do other drops, such as the bare ACKs a
   * TCP_DEFER_ACCEPT listener discards. `null` on the /proc source, which has no such field.
   */
  drops: number | null;
}

/** A listener's address and port (listeners sharing them with SO_REUSEPORT have one). */
const addressKey = (l: ListenQueue) => `${l.proto} ${l.localAddress} ${l.localPort}`;

/** Each address and port's drops, summed over the listeners sharing it; /proc's unknown ones left out. */
function dropsByAddress(listeners: readonly ListenQueue[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of listeners) if (l.drops !== null) out.set(addressKey(l), (out.get(addressKey(l)) ?? 0) + l.drops);
  return out;
}

/**
 * The listeners whose own drops grew from `before` to `now` (two reads of the same host), most
 * first, one per address and port, with the increase. A listener new in `now` is left out.
 */
export function dropIncreases(before: readonly ListenQueue[], now: readonly ListenQueue[]): { listener: ListenQueue; increase: number }[] {
  const was = dropsByAddress(before), is = dropsByAddress(now);
  const out: { listener: ListenQueue; increase: number }[] = [];
  for (const l of now) {
    const key = addressKey(l), a = was.get(key), b = is.get(key);
    if (a === undefined || b === undefined || b <= a) continue;
    was.delete(key);
    out.push({ listener: l, increase: b - a });
  }
  return out.sort((x, y) => y.increase - x.increase);
}

/** The option names of {@link listenQueues}. */
export const LISTEN_QUEUE_OPTION_NAMES = ['protocols', 'procRoot', 'source', 'synRecv'] as const;

/** Validated listenQueues options: the read's, and whether to count SYN_RECV. */
export interface ListenQueuePlan {
  read: { protocols?: ('tcp' | 'tcp6')[]; procRoot?: string; source?: Source };
  synRecv: boolean;
  /** Also the UNIX listeners (for the callers that take the `unix` option). */
  unix: boolean;
}

/** Checks the options of `fn` (which may take `extraKeys` besides listenQueues'), throwing before any read. */
export function planListenQueues(options: unknown, fn: string, extraKeys: readonly string[] = []): ListenQueuePlan {
  const o = checkObject(options, 'options');
  checkKeys(o, [...LISTEN_QUEUE_OPTION_NAMES, ...extraKeys], fn);
  const read: ListenQueuePlan['read'] = {};
  if (o.protocols !== undefined) read.protocols = checkList(o.protocols, 'protocols', ['tcp', 'tcp6'] as const);
  if (o.procRoot !== undefined) read.procRoot = o.procRoot as string;
  if (o.source !== undefined) read.source = o.source as Source;
  toNativeRequest(read, fn); // the read options' own checks (procRoot, source), with their messages
  return { read, synRecv: checkBoolean(o.synRecv, 'synRecv', false), unix: checkBoolean(o.unix, 'unix', false) };
}

/** Errors of a netlink read that mean "no sock_diag here": `auto` reads /proc then. */
const NETLINK_UNAVAILABLE = ['EPROTONOSUPPORT', 'EAFNOSUPPORT', 'ESOCKTNOSUPPORT', 'EPERM', 'EACCES', 'ENOENT', 'EOPNOTSUPP'];

/** The LISTEN read: with SK_MEMINFO (each listener's drops) where it may come over netlink. */
function listenerRead(read: ListenQueuePlan['read'], memory: boolean) {
  return { ...read, states: ['LISTEN' as const], ...(memory && { memory: true, source: 'netlink' as const }) };
}

const mayUseNetlink = (read: ListenQueuePlan['read']) => read.source !== 'proc' && read.procRoot === undefined;
/** An `auto` read whose netlink attempt found no sock_diag goes on without the drops, from /proc. */
const fallsBack = (read: ListenQueuePlan['read'], err: unknown) =>
  read.source === undefined || read.source === 'auto' ? NETLINK_UNAVAILABLE.includes((err as { code?: string }).code ?? '') : false;

/** The LISTEN rows, with SK_MEMINFO (their drops) where netlink serves. */
export async function readListeners(read: ListenQueuePlan['read']): Promise<SocketTable> {
  if (!mayUseNetlink(read)) return snapshot(listenerRead(read, false));
  try {
    return await snapshot(listenerRead(read, true));
  } catch (err) {
    if (fallsBack(read, err)) return snapshot(listenerRead(read, false));
    throw err;
  }
}

function readListenersSync(read: ListenQueuePlan['read']): SocketTable {
  if (!mayUseNetlink(read)) return snapshotSync(listenerRead(read, false));
  try {
    return snapshotSync(listenerRead(read, true));
  } catch (err) {
    if (fallsBack(read, err)) return snapshotSync(listenerRead(read, false));
    throw err;
  }
}

/** The half-open read: SYN_RECV rows of both families, as a dual-stack listener takes IPv4 ones. */
function synRecvRead(read: ListenQueuePlan['read']) {
  return { procRoot: read.procRoot, source: read.source, states: ['SYN_RECV' as const] };
}

const key = (family: number, address: string, port: number) => `${family} ${address} ${port}`;

/**
 * Where a SYN_RECV socket's count goes: its own address first, then its family's wildcard. A
 * request to a dual-stack listener has the listener's family: an IPv4 one sits in the tcp6
 * table under its IPv4-mapped address, so `::` takes it.
 */
function candidateKeys(family: number, address: string, port: number): string[] {
  return [key(family, address, port), key(family, family === 4 ? '0.0.0.0' : '::', port)];
}

/** Adds each SYN_RECV row to the listeners it belongs to. */
function countSynRecv(listeners: SocketTable, halfOpen: SocketTable, out: ListenQueue[]): void {
  const byAddress = new Map<string, number[]>();
  const lc = listeners.columns;
  for (let i = 0; i < listeners.length; i++) {
    const k = key(lc.family[i]!, formatAddress(lc.localAddress, i, lc.family[i]!), lc.localPort[i]!);
    byAddress.set(k, [...(byAddress.get(k) ?? []), i]);
    out[i]!.synRecv = 0;
  }
  const hc = halfOpen.columns;
  for (let j = 0; j < halfOpen.length; j++) {
    const family = hc.family[j]!;
    const keys = candidateKeys(family, formatAddress(hc.localAddress, j, family), hc.localPort[j]!);
    const owners = keys.map((k) => byAddress.get(k)).find(Boolean) ?? [];
    for (const i of owners) out[i]!.synRecv!++;
  }
}

function toListenQueues(listeners: SocketTable, halfOpen?: SocketTable): ListenQueue[] {
  const c = listeners.columns;
  const drops = c.memory?.drops;
  const out: ListenQueue[] = [];
  for (let i = 0; i < listeners.length; i++) {
    const acceptQueue = c.recvQ[i]!;
    const backlog = listeners.source === 'netlink' ? c.sendQ[i]! : null;
    out.push({
      proto: c.family[i] === 6 ? 'tcp6' : 'tcp',
      localAddress: formatAddress(c.localAddress, i, c.family[i]!),
      localPort: c.localPort[i]!,
      acceptQueue,
      backlog,
      full: backlog === null ? null : acceptQueue > backlog,
      drops: drops && !Number.isNaN(drops[i]) ? drops[i]! : null,
    });
  }
  if (halfOpen) countSynRecv(listeners, halfOpen, out);
  return out;
}

/**
 * Every TCP listener's accept queue and backlog, from one LISTEN-only read (cheap whatever the
 * number of connections), plus its half-open (SYN_RECV) count with `synRecv: true`.
 *
 * @throws TypeError or RangeError for bad options, before anything is read; SockscopeError when
 *   a read fails.
 */
export async function listenQueues(options?: ListenQueueOptions & { unix?: false }): Promise<ListenQueue[]>;
export async function listenQueues(options?: ListenQueueOptions): Promise<AnyListenQueue[]>;
export async function listenQueues(options?: ListenQueueOptions): Promise<AnyListenQueue[]> {
  const p = planListenQueues(options, 'listenQueues', ['unix']);
  const [tcp, unix] = await Promise.all([readListenQueues(p), p.unix ? unixListenQueues(p.read) : []]);
  return [...tcp, ...unix];
}

/** listenQueues for options already checked. */
export async function readListenQueues(p: ListenQueuePlan): Promise<ListenQueue[]> {
  const [listeners, halfOpen] = await Promise.all([
    readListeners(p.read),
    p.synRecv ? snapshot(synRecvRead(p.read)) : undefined,
  ]);
  return toListenQueues(listeners, halfOpen);
}

/** {@link listenQueues} on the calling thread. */
export function listenQueuesSync(options?: ListenQueueOptions & { unix?: false }): ListenQueue[];
export function listenQueuesSync(options?: ListenQueueOptions): AnyListenQueue[];
export function listenQueuesSync(options?: ListenQueueOptions): AnyListenQueue[] {
  const p = planListenQueues(options, 'listenQueuesSync', ['unix']);
  const listeners = readListenersSync(p.read);
  const tcp = toListenQueues(listeners, p.synRecv ? snapshotSync(synRecvRead(p.read)) : undefined);
  return p.unix ? [...tcp, ...unixListenQueuesSync(p.read)] : tcp;
}

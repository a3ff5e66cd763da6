// UNIX listeners' accept queues and backlogs: the UNIX half of the listen-queue API, `queues`,
// `doctor` and the Prometheus collector (the nginx-to-upstream 502 case).
import { existsSync } from 'node:fs';

import type { Netns } from './netns.js';
import type { Source } from './options.js';
import { unixSockets, unixSocketsSync, type UnixSocketTable, type UnixType } from './unix.js';

/** One UNIX listening socket's queues. */
export interface UnixListenQueue {
  proto: 'unix';
  /** `stream` or `seqpacket`. */
  type: UnixType;
  /** The listener's name: a filesystem path, or an abstract name as ss prints it (`@name`). */
  path: string | null;
  inode: number;
  /** Connections waiting for accept() (ss -xl Recv-Q); null from /proc/net/unix, which does not say. */
  acceptQueue: number | null;
  /** The listen() backlog, capped by net.core.somaxconn (ss -xl Send-Q); null from /proc. */
  backlog: number | null;
  /**
   * Whether connect() to it now fails (EAGAIN for a non-blocking caller, as nginx gets it and
   * answers 502) or blocks: as for TCP, the kernel admits one more than the backlog
   * (`acceptQueue > backlog`, unix_recvq_full). null from /proc.
   */
  full: boolean | null;
}

/** Where UNIX listeners are read: as for the other reads. */
export interface UnixListenQueueOptions {
  source?: Source;
  procRoot?: string;
  netns?: Netns;
}

function toUnixListenQueues(table: UnixSocketTable): UnixListenQueue[] {
  return table.toArray().map((r) => ({
    proto: 'unix' as const,
    type: r.type,
    path: r.path,
    inode: r.inode,
    acceptQueue: r.recvQ,
    backlog: r.sendQ,
    full: r.recvQ === null || r.sendQ === null ? null : r.recvQ > r.sendQ,
  }));
}

/** The LISTEN-only read of `o`'s place (a listenQueues plan also carries TCP's `protocols`). */
function listening({ source, procRoot, netns }: UnixListenQueueOptions) {
  return { states: ['LISTEN' as const], ...(source && { source }), ...(procRoot && { procRoot }), ...(netns && { netns }) };
}

/** A /proc directory without a `unix` file (a recorded TCP fixture) has no UNIX listeners to show. */
function missingProcFile(err: unknown, o: UnixListenQueueOptions): boolean {
  return o.procRoot !== undefined && (err as { code?: unknown }).code === 'ENOENT' && existsSync(o.procRoot);
}

/**
 * Every UNIX listener's accept queue and backlog, from one LISTEN-only read. With `procRoot`, a
 * directory without a `unix` file gives none.
 */
export async function unixListenQueues(options: UnixListenQueueOptions = {}): Promise<UnixListenQueue[]> {
  try {
    return toUnixListenQueues(await unixSockets(listening(options)));
  } catch (err) {
    if (missingProcFile(err, options)) return [];
    throw err;
  }
}

/** {@link unixListenQueues} on the calling thread. */
export function unixListenQueuesSync(options: UnixListenQueueOptions = {}): UnixListenQueue[] {
  try {
    return toUnixListenQueues(unixSocketsSync(listening(options)));
  } catch (err) {
    if (missingProcFile(err, options)) return [];
    throw err;
  }
}

/** Listeners by name, their queues summed (a path re-bound after an unlink has several), sorted by name. */
export function unixListenersByName(listeners: readonly UnixListenQueue[]): { name: string; acceptQueue: number | null; backlog: number | null }[] {
  const out = new Map<string, { name: string; acceptQueue: number | null; backlog: number | null }>();
  for (const l of listeners) {
    const name = unixListenerName(l);
    const group = out.get(name);
    if (!group) out.set(name, { name, acceptQueue: l.acceptQueue, backlog: l.backlog });
    else {
      if (group.acceptQueue !== null) group.acceptQueue += l.acceptQueue ?? 0;
      if (group.backlog !== null) group.backlog += l.backlog ?? 0;
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** How a UNIX listener is named in text: its path, or `* INODE` for one without a name. */
export function unixListenerName(l: UnixListenQueue): string {
  return l.path ?? `* ${l.inode}`;
}

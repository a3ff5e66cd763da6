// One socket of this process, read through its own descriptor: O(1), no table dump.
import net from 'node:net';

import { binding } from './binding.js';
import { SockscopeError, callSync } from './errors.js';
import { stateName } from './states.js';
import { invalid } from './validate.js';

/** What the addon's queueOf returns; the JS side picks the fields that fit the socket's state. */
interface NativeSocketQueues {
  state: number;
  acceptQueue: number;
  backlog: number;
  recvQ: number;
  sendQ: number;
  unsent: number;
  rttUs: number;
  rttVarUs: number;
  cwnd: number;
  mss: number;
  unacked: number;
  lost: number;
  totalRetrans: number;
  retransmits: number;
}

declare module './native-types.js' {
  interface NativeBinding {
    queueOf(fd: number): NativeSocketQueues;
  }
}

/** A listening socket's queues, from `getsockopt(TCP_INFO)` on its descriptor. */
export interface ListenerQueue {
  kind: 'listener';
  /** Connections waiting for `accept()` (the kernel's sk_ack_backlog, in tcpi_unacked). */
  acceptQueue: number;
  /** The backlog after the `net.core.somaxconn` cap (sk_max_ack_backlog, in tcpi_sacked). */
  backlog: number;
  /**
   * True when the kernel drops new connections: it admits `backlog + 1` (sk_acceptq_is_full is
   * `acceptQueue > backlog`).
   */
  full: boolean;
}

/** A connection's queues (ioctls) and a few `tcp_info` fields. */
export interface ConnectionQueue {
  kind: 'connection';
  /** netstat's name of the TCP state (`ESTABLISHED`, `CLOSE_WAIT`, ...). */
  state: string;
  /** Bytes received and not yet read by the application (SIOCINQ). */
  recvQ: number;
  /** Bytes written and not yet acknowledged by the peer, sent or not (SIOCOUTQ). */
  sendQ: number;
  /** Bytes written and not yet sent (SIOCOUTQNSD): the part of sendQ waiting for window or cwnd. */
  unsent: number;
  /** Smoothed round-trip time, in milliseconds (µs precision). */
  rtt: number;
  /** Its variation, in milliseconds. */
  rttVar: number;
  /** Congestion window, in segments. */
  cwnd: number;
  /** Send maximum segment size, in bytes. */
  mss: number;
  /** Segments sent and not yet acknowledged. */
  unacked: number;
  /** Segments the kernel believes lost. */
  lost: number;
  /** Retransmitted segments over the connection's life. */
  totalRetrans: number;
  /** Retransmissions of the current unacknowledged segment (timeouts in a row). */
  retransmits: number;
}

/** Node's internal handle: its `fd` is the socket's descriptor on Linux. */
interface WithHandle {
  _handle?: { fd?: number } | null;
}

function descriptorOf(handle: net.Server | net.Socket): number {
  const fd = (handle as unknown as WithHandle)._handle?.fd;
  if (typeof fd === 'number' && fd >= 0) return fd;
  const what = handle instanceof net.Server ? 'net.Server is not listening' : 'net.Socket is not connected or was destroyed';
  throw new SockscopeError(`queueOf: the ${what}, so it has no file descriptor`, 'EBADF', -9);
}

/**
 * The queues of a TCP `net.Server` or `net.Socket` of this process, read in O(1) from its
 * descriptor (`getsockopt(TCP_INFO)`, `ioctl(SIOCINQ/SIOCOUTQ/SIOCOUTQNSD)`), never from a dump.
 *
 * @throws TypeError when `handle` is neither a `net.Server` nor a `net.Socket`.
 * @throws SockscopeError `EBADF` when it has no descriptor (a server not listening, a socket not
 *   yet connected or destroyed); `ERR_NOT_TCP` when the descriptor is not a TCP socket (a Unix
 *   socket, a pipe).
 */
export function queueOf(handle: net.Server | net.Socket): ListenerQueue | ConnectionQueue {
  if (!(handle instanceof net.Server) && !(handle instanceof net.Socket)) {
    throw invalid(TypeError, 'a net.Server or net.Socket', 'handle', handle);
  }
  const q = callSync(() => binding().queueOf(descriptorOf(handle)));
  if (stateName(q.state, 6) === 'LISTEN') {
    return { kind: 'listener', acceptQueue: q.acceptQueue, backlog: q.backlog, full: q.acceptQueue > q.backlog };
  }
  return {
    kind: 'connection',
    state: stateName(q.state, 6),
    recvQ: q.recvQ,
    sendQ: q.sendQ,
    unsent: q.unsent,
    rtt: q.rttUs / 1000,
    rttVar: q.rttVarUs / 1000,
    cwnd: q.cwnd,
    mss: q.mss,
    unacked: q.unacked,
    lost: q.lost,
    totalRetrans: q.totalRetrans,
    retransmits: q.retransmits,
  };
}

// Socket figures for monitoring, as plain values: what the Prometheus collector exports, and what an
// OpenTelemetry observable-gauge callback can observe. No metrics library is needed here.
import { formatAddress } from '../address.js';
import { snapshot } from '../read.js';
import { toStateCounts, type StateCounts } from '../states.js';
import { checkMetricsReadOptions, type MetricsReadOptions } from './read-options.js';

/** One listening address and port; SO_REUSEPORT groups (several sockets on one port) are summed. */
export interface ListenerFigures {
  address: string;
  port: number;
  /** Connections waiting for accept(). */
  acceptQueue: number;
  /** The listen() backlog; null when the source does not know it (/proc). */
  backlog: number | null;
}

/** Per-state counts, queued bytes and listener queues of every TCP socket (IPv4 and IPv6). */
export interface SocketFigures {
  source: 'netlink' | 'proc';
  /** Every state, zeros included, and their total. */
  states: StateCounts;
  /** Bytes received and not yet read, over every socket but listeners (whose Recv-Q counts connections). */
  rxQueuedBytes: number;
  /** Bytes sent and not yet acknowledged, over every socket but listeners (whose Send-Q is the backlog). */
  txQueuedBytes: number;
  /** Sorted by port, then address. */
  listeners: ListenerFigures[];
}

const LISTEN = 10;

/**
 * Reads every TCP socket once and sums it into per-state counts, queued bytes and listener queues:
 * one table read serves all three (a separate count would walk the same kernel table again).
 */
export async function readSocketFigures(options?: MetricsReadOptions): Promise<SocketFigures> {
  const read = checkMetricsReadOptions(options, 'readSocketFigures');
  const table = await snapshot({ ...read, protocols: ['tcp', 'tcp6'] });
  const { state, recvQ, sendQ, family, localAddress, localPort } = table.columns;
  const byNumber = new Array<number>(LISTEN + 2).fill(0);
  const listeners = new Map<string, ListenerFigures>();
  const knowsBacklog = table.source === 'netlink';
  let rxQueuedBytes = 0;
  let txQueuedBytes = 0;
  for (let i = 0; i < table.length; i++) {
    const s = state[i]!;
    byNumber[s]!++;
    if (s !== LISTEN) {
      rxQueuedBytes += recvQ[i]!;
      txQueuedBytes += sendQ[i]!;
      continue;
    }
    const address = formatAddress(localAddress, i, family[i]!);
    const port = localPort[i]!;
    const key = `${address} ${port}`;
    const group = listeners.get(key);
    if (!group) {
      listeners.set(key, { address, port, acceptQueue: recvQ[i]!, backlog: knowsBacklog ? sendQ[i]! : null });
      continue;
    }
    group.acceptQueue += recvQ[i]!;
    if (group.backlog !== null) group.backlog += sendQ[i]!;
  }
  return {
    source: table.source,
    states: toStateCounts(byNumber),
    rxQueuedBytes,
    txQueuedBytes,
    listeners: [...listeners.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : 1)),
  };
}

// Socket figures for monitoring, as plain values: what the Prometheus collector exports, and what an
// OpenTelemetry observable-gauge callback can observe. No metrics library is needed here.
import { formatAddress } from '../address.js';
import { snapshot } from '../read.js';
import { readListeners } from '../queues.js';
import { TCP_STATES, toStateCounts, type StateCounts, type TcpState } from '../states.js';
import type { SocketTable } from '../table.js';
import { invalid } from '../validate.js';
import { checkMetricsReadOptions, type MetricsReadOptions } from './read-options.js';

/** One listening address and port; SO_REUSEPORT groups (several sockets on one port) are summed. */
export interface ListenerFigures {
  address: string;
  port: number;
  /** Connections waiting for accept(). */
  acceptQueue: number;
  /** The listen() backlog; null when the source does not know it (/proc). */
  backlog: number | null;
  /** Packets the kernel dropped for it (sk_drops, `ss -tlm`'s d); null when the source does not know it (/proc). */
  drops: number | null;
}

/** Sockets on one allowlisted local port in one state. */
export interface PortStateFigures {
  port: number;
  state: TcpState;
  count: number;
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
  /** With `ports`: every state of each of those local ports, zeros included, by port then state. */
  portStates: PortStateFigures[];
}

/** Options of readSocketFigures: where to read, and which local ports to count by state. */
export interface SocketFiguresOptions extends MetricsReadOptions {
  /** Count the sockets on these local ports per state (`portStates`): an allowlist, so the figures stay bounded. @default none */
  ports?: number[];
}

const LISTEN = 10;

/** Each listening address's drops, summed over SO_REUSEPORT groups; none where the read had no SK_MEMINFO (/proc). */
function dropsByListener(rows: SocketTable): Map<string, number> {
  const out = new Map<string, number>();
  const c = rows.columns;
  if (!c.memory) return out;
  for (let i = 0; i < rows.length; i++) {
    const key = `${formatAddress(c.localAddress, i, c.family[i]!)} ${c.localPort[i]}`;
    out.set(key, (out.get(key) ?? 0) + c.memory.drops[i]!);
  }
  return out;
}

function checkPortList(value: unknown): number[] {
  if (value === undefined) return [];
  const what = 'an array of distinct port numbers (0-65535)';
  if (!Array.isArray(value)) throw invalid(TypeError, what, 'ports', value);
  if (value.some((p) => typeof p !== 'number')) throw invalid(TypeError, what, 'ports', value);
  if (value.some((p) => !Number.isInteger(p) || p < 0 || p > 65535) || new Set(value).size !== value.length) {
    throw invalid(RangeError, what, 'ports', value);
  }
  return value as number[];
}

/**
 * Reads every TCP socket once and sums it into per-state counts, queued bytes, listener queues and
 * the allowlisted ports' states: one table read serves them all (a separate count would walk the
 * same kernel table again). The listeners' drops come from a LISTEN-only read beside it, which
 * walks only the kernel's listening hash.
 */
export async function readSocketFigures(options?: SocketFiguresOptions): Promise<SocketFigures> {
  const read = checkMetricsReadOptions(options, 'readSocketFigures', ['ports']);
  const ports = checkPortList((options ?? {}).ports);
  const [table, listenerRows] = await Promise.all([snapshot({ ...read, protocols: ['tcp', 'tcp6'] }), readListeners(read)]);
  const drops = dropsByListener(listenerRows);
  const byPort = new Map(ports.map((p) => [p, new Array<number>(LISTEN + 2).fill(0)]));
  const { state, recvQ, sendQ, family, localAddress, localPort } = table.columns;
  const byNumber = new Array<number>(LISTEN + 2).fill(0);
  const listeners = new Map<string, ListenerFigures>();
  const knowsBacklog = table.source === 'netlink';
  let rxQueuedBytes = 0;
  let txQueuedBytes = 0;
  for (let i = 0; i < table.length; i++) {
    const s = state[i]!;
    byNumber[s]!++;
    const onPort = byPort.get(localPort[i]!);
    if (onPort) onPort[s]!++;
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
      listeners.set(key, { address, port, acceptQueue: recvQ[i]!, backlog: knowsBacklog ? sendQ[i]! : null, drops: drops.get(key) ?? null });
      continue;
    }
    group.acceptQueue += recvQ[i]!;
    if (group.backlog !== null) group.backlog += sendQ[i]!;
  }
  const portStates = [...byPort].flatMap(([port, counts]) =>
    TCP_STATES.map((name, n) => ({ port, state: name, count: counts[n + 1]! })),
  );
  return {
    source: table.source,
    states: toStateCounts(byNumber),
    rxQueuedBytes,
    txQueuedBytes,
    listeners: [...listeners.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : 1)),
    portStates,
  };
}

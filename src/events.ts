// Close events: the sockets the kernel destroys, from the sock_diag destroy groups `ss -E`
// joins, as an async iterable of rows with their final tcp_info.
import { binding } from './binding.js';
import { callSync, fromNative } from './errors.js';
import type { NativeColumns, NativeEventBatch, NativeEvents } from './native-types.js';
import { PROTOCOLS, type Protocol } from './options.js';
import { toPortRanges, type PortSpec } from './ports.js';
import { TCP_STATES, stateName, stateNumber, type TcpState } from './states.js';
import { formatAddress } from './address.js';
import { tcpInfoOf, type SocketRow } from './table.js';
import { checkInteger, checkKeys, checkList, checkObject, invalid } from './validate.js';

/** Options of `events()`. */
export interface EventsOptions {
  /** The families and protocols to follow: one destroy group each. @default ['tcp', 'tcp6'] */
  protocols?: Protocol[];
  /** Keep only sockets that end in these states (TCP sockets nearly always end in CLOSE). @default every state */
  states?: TcpState[];
  /** Keep only sockets whose local port matches (a port, a `[low, high]` range or a list). @default any port */
  localPort?: PortSpec;
  /** Keep only sockets whose remote port matches, as for `localPort`. @default any port */
  remotePort?: PortSpec;
  /** Stops the stream and closes its socket: the iteration ends (no error). */
  signal?: AbortSignal;
  /**
   * Bytes of receive buffer asked for (SO_RCVBUFFORCE with CAP_NET_ADMIN, else SO_RCVBUF capped
   * at net.core.rmem_max); the kernel doubles it. An event takes about 1.2 KiB of it, so the
   * default holds some 27000 events waiting (a third of a second at 80000 closes a second).
   * @default 16777216
   */
  receiveBuffer?: number;
  /** Most events one read of the socket hands over. @default 1024 */
  batchSize?: number;
}

/** A destroyed socket, as the kernel broadcast it. */
export interface CloseEvent extends Omit<SocketRow, 'timer' | 'timerExpires' | 'cookie' | 'owners' | 'memory'> {
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  /** The kernel's socket cookie, as `ss -e` prints it (in hex) after `sk:`. */
  cookie: bigint;
}

/** The running figures of a stream. */
export interface EventsStatus {
  /** Events the kernel dropped because the receive buffer was full (its own drop count). */
  lost: number;
  /** ENOBUFS errors read: each one or more lost events. */
  overruns: number;
  /** Events received but left out by `states`, `localPort` or `remotePort`. */
  filtered: number;
  /** Bytes of receive buffer the kernel granted (its doubled figure). */
  receiveBuffer: number;
}

/** The stream `events()` returns: iterate it once; `lost` and the other figures grow as it runs. */
export interface CloseEvents extends AsyncIterable<CloseEvent>, EventsStatus {
  /** Stops the stream and closes its socket; a pending iteration ends. */
  close(): void;
}

const OPTION_NAMES = ['protocols', 'states', 'localPort', 'remotePort', 'signal', 'receiveBuffer', 'batchSize'] as const;
const MAX_RECEIVE_BUFFER = 1 << 30;
const MAX_BATCH = 1 << 16;

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalid(TypeError, 'an AbortSignal', 'signal', value);
}

function stateMask(states: readonly TcpState[] | undefined): number {
  return states ? states.reduce((m, s) => m | (1 << stateNumber(s)), 0) : 0x1ffe;
}

/** Validates `options` into the native request and the signal. */
function eventsRequest(options: unknown) {
  const o = checkObject(options, 'options');
  checkKeys(o, OPTION_NAMES, 'events');
  const protocols = o.protocols === undefined ? ['tcp', 'tcp6'] as Protocol[] : checkList(o.protocols, 'protocols', PROTOCOLS);
  const states = o.states === undefined ? undefined : checkList(o.states, 'states', TCP_STATES);
  return {
    request: {
      tables: protocols.reduce((m, p) => m | (1 << PROTOCOLS.indexOf(p)), 0),
      states: stateMask(states),
      localPorts: toPortRanges(o.localPort, 'localPort'),
      remotePorts: toPortRanges(o.remotePort, 'remotePort'),
      receiveBuffer: checkInteger(o.receiveBuffer, 'receiveBuffer', 4096, MAX_RECEIVE_BUFFER, 16 << 20),
      batchSize: checkInteger(o.batchSize, 'batchSize', 1, MAX_BATCH, 1024),
    },
    signal: checkSignal(o.signal),
  };
}

/** Event `i` of a native batch: the columns read straight into the row (no table, no copies). */
function toEvent(c: NativeColumns, i: number): CloseEvent {
  const family = c.family[i] === 6 ? 6 : 4;
  const protocol = c.protocol[i] === 6 ? 'tcp' : 'udp';
  const event: CloseEvent = {
    proto: `${protocol}${family === 6 ? '6' : ''}` as Protocol,
    protocol,
    family,
    state: stateName(c.state[i]!, c.protocol[i]!),
    localAddress: formatAddress(c.localAddress, i, family),
    localPort: c.localPort[i]!,
    remoteAddress: formatAddress(c.remoteAddress, i, family),
    remotePort: c.remotePort[i]!,
    recvQ: c.recvQ[i]!,
    // A UDP socket's is sk_wmem_alloc - 1, taken after its last reference went: -1 as a u32.
    sendQ: c.protocol[i] === 17 && c.sendQ[i] === 0xffffffff ? 0 : c.sendQ[i]!,
    uid: c.uid[i]!,
    inode: c.inode[i]!,
    retransmits: c.retransmits[i]!,
    cookie: c.cookie![i]!,
  };
  if (protocol === 'tcp' && c.info) event.info = tcpInfoOf(c.info, i);
  return event;
}
class EventStream implements CloseEvents {
  lost = 0;
  overruns = 0;
  filtered = 0;
  readonly receiveBuffer: number;
  #native: NativeEvents;
  #batch: { columns: NativeColumns; length: number } | undefined;
  #at = 0;  // the next event of #batch
  #closed = false;
  #iterating = false;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.close();

  constructor(native: NativeEvents, signal: AbortSignal | undefined) {
    this.#native = native;
    this.receiveBuffer = native.receiveBuffer;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batch = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#native.close();
  }

  async #fill(): Promise<boolean> {
    while (!this.#pending() && !this.#closed) {
      let batch: NativeEventBatch;
      try {
        batch = await this.#native.next();
      } catch (err) {
        // No JS stack is captured before the call: it would cost one per batch, at every wake.
        this.close();
        throw fromNative(err);
      }
      if (batch.closed) break;
      this.lost = batch.lost;
      this.overruns += batch.overruns;
      this.filtered += batch.filtered;
      if (batch.length > 0) (this.#batch = batch), (this.#at = 0);
    }
    return this.#pending();
  }

  #pending(): boolean {
    return this.#batch !== undefined && this.#at < this.#batch.length;
  }

  [Symbol.asyncIterator](): AsyncIterator<CloseEvent> {
    if (this.#iterating) throw new TypeError('events(): a stream is iterated once; call events() again for another');
    this.#iterating = true;
    return {
      next: async () => ((this.#pending() || (await this.#fill())) ? { value: toEvent(this.#batch!.columns, this.#at++), done: false } : { value: undefined, done: true }),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * Follows socket closes: the sockets the kernel destroys from now on, in the caller's network
 * namespace, with their final state, addresses, cookie and, for TCP, final tcp_info (what
 * `ss -E` prints). The socket is opened and the groups joined before this returns, so every
 * socket destroyed after the call is seen (or counted in `lost`). `uid` and `inode` are 0:
 * the kernel's message leaves them unset, as the socket no longer has a file. TIME_WAIT
 * sockets send nothing: a TCP socket that enters TIME_WAIT is reported then, in state CLOSE.
 * @throws TypeError / RangeError for bad options; SockscopeError with the kernel's code
 *   (`EPERM`, `EACCES`, `EPROTONOSUPPORT`, ...) when the socket cannot be opened or joined.
 */
export function events(options?: EventsOptions): CloseEvents {
  const { request, signal } = eventsRequest(options);
  const native = callSync(() => new (binding().Events)(request));
  const stream = new EventStream(native, signal);
  if (signal?.aborted) stream.close();
  return stream;
}

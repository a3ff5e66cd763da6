// A rollup of close events per interval and group: counts, bytes, retransmits and rtt
// percentiles, what bcc's tcplife gives per connection, folded for a dashboard.
import type { CloseEvent } from './events.js';
import { checkInteger, checkObject, checkKeys, checkOneOf } from './validate.js';

/** Options of `summarizeEvents()`. */
export interface SummaryOptions {
  /** Length of each interval in milliseconds. */
  intervalMs: number;
  /** Group by the remote address's prefix, or by local port. @default 'remotePrefix' */
  by?: 'remotePrefix' | 'localPort';
  /** Prefix length for IPv4 remote addresses. @default 24 */
  prefix4?: number;
  /** Prefix length for IPv6 remote addresses. @default 64 */
  prefix6?: number;
}

/** One group's figures over one interval. */
export interface EventGroup {
  /** `10.1.2.0/24` or `2001:db8::/64` (by remotePrefix), or the local port as text. */
  key: string;
  /** Sockets closed. */
  closed: number;
  /** Sums over the TCP sockets' final tcp_info. */
  bytesAcked: number;
  bytesReceived: number;
  totalRetrans: number;
  /** Smoothed rtt percentiles (nearest rank) over the TCP sockets that had one, in microseconds; NaN if none. */
  rttP50: number;
  rttP90: number;
  rttP99: number;
}

/** One interval's groups, busiest first. */
export interface EventSummary {
  /** Interval bounds, milliseconds since the epoch. */
  start: number;
  end: number;
  groups: EventGroup[];
  /** Events the source reported lost during the interval (its `lost` figure), if it has one. */
  lost: number;
}

const OPTION_NAMES = ['intervalMs', 'by', 'prefix4', 'prefix6'] as const;

/** The first `bits` bits of a formatted address, as `a.b.c.d/bits` or `x:y::/bits`. */
export function prefixOf(address: string, family: 4 | 6, bits: number): string {
  if (family === 4) {
    const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const masked = bits === 0 ? 0 : Number((BigInt(n) >> BigInt(32 - bits)) << BigInt(32 - bits));
    return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${bits}`;
  }
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  const kept = groups.map((g, i) => {
    const left = bits - i * 16;
    return left >= 16 ? g : left <= 0 ? 0 : g & (0xffff << (16 - left)) & 0xffff;
  });
  return `${compress(kept)}/${bits}`;
}

/** RFC 5952 text of eight groups. */
function compress(g: number[]): string {
  let best = -1, len = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i > 1) (best = i), (len = j - i);
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + len))}`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Acc {
  closed: number;
  bytesAcked: number;
  bytesReceived: number;
  totalRetrans: number;
  rtts: number[];
}

/** Folds one interval's events into groups, busiest first. */
function fold(list: CloseEvent[], key: (e: CloseEvent) => string): EventGroup[] {
  const acc = new Map<string, Acc>();
  for (const e of list) {
    const k = key(e);
    let a = acc.get(k);
    if (!a) acc.set(k, (a = { closed: 0, bytesAcked: 0, bytesReceived: 0, totalRetrans: 0, rtts: [] }));
    a.closed++;
    a.bytesAcked += e.info?.bytesAcked ?? 0;
    a.bytesReceived += e.info?.bytesReceived ?? 0;
    a.totalRetrans += e.info?.totalRetrans ?? 0;
    if (e.info?.rtt !== undefined) a.rtts.push(e.info.rtt);
  }
  return [...acc].map(([k, a]) => {
    const rtts = a.rtts.sort((x, y) => x - y);
    const { closed, bytesAcked, bytesReceived, totalRetrans } = a;
    return { key: k, closed, bytesAcked, bytesReceived, totalRetrans, rttP50: percentile(rtts, 50), rttP90: percentile(rtts, 90), rttP99: percentile(rtts, 99) };
  }).sort((x, y) => y.closed - x.closed || (x.key < y.key ? -1 : 1));
}

/**
 * Folds a stream of close events (usually `events()`) into one summary per `intervalMs`, every
 * interval, empty ones too, until the stream ends (then a last, shorter one). Ending the
 * iteration of the summaries ends the stream's (and so closes an `events()` socket).
 * @throws TypeError / RangeError for bad options.
 */
export async function* summarizeEvents(
  source: AsyncIterable<CloseEvent> & { lost?: number },
  options: SummaryOptions,
): AsyncGenerator<EventSummary, void, undefined> {
  const o = checkObject(options, 'options');
  checkKeys(o, OPTION_NAMES, 'summarizeEvents');
  const intervalMs = checkInteger(o.intervalMs, 'intervalMs', 1, 2 ** 31 - 1);
  const by = o.by === undefined ? 'remotePrefix' : checkOneOf(o.by, 'by', ['remotePrefix', 'localPort'] as const);
  const prefix4 = checkInteger(o.prefix4, 'prefix4', 0, 32, 24);
  const prefix6 = checkInteger(o.prefix6, 'prefix6', 0, 128, 64);
  const key = by === 'localPort'
    ? (e: CloseEvent) => String(e.localPort)
    : (e: CloseEvent) => prefixOf(e.remoteAddress, e.family, e.family === 4 ? prefix4 : prefix6);

  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<CloseEvent>> | undefined;
  let start = Date.now();
  let lostBefore = source.lost ?? 0;
  let batch: CloseEvent[] = [];
  const summary = (end: number): EventSummary => {
    const lost = (source.lost ?? 0) - lostBefore;
    lostBefore += lost;
    const s = { start, end, groups: fold(batch, key), lost };
    (batch = []), (start = end);
    return s;
  };
  try {
    for (;;) {
      const deadline = start + intervalMs;
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), 'tick')));
      pending ??= it.next();
      const r = await Promise.race([pending, tick]);
      clearTimeout(timer);
      if (r === 'tick') {
        yield summary(deadline);
        continue;
      }
      pending = undefined;
      if (r.done) break;
      if (Date.now() >= deadline) yield summary(deadline);  // it arrived after the interval ended
      batch.push(r.value);
    }
    yield summary(Date.now());
  } finally {
    await it.return?.();
  }
}

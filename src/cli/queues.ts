// `sockscope queues`: every listener's queues (half-open counts and its own drops included), UNIX
// ones last, then the overflow counters.
import { keyCounters, netstatCounters } from '../counters.js';
import { endpoint, formatTable } from '../format.js';
import { listenQueues, type AnyListenQueue, type ListenQueue, type ListenQueueOptions } from '../queues.js';
import { unixListenerName } from '../unix-queues.js';
import { queueReadOptions, type Flags } from './args.js';

/** The overflow counters `queues` prints under its table. */
const OVERFLOW_KEYS = ['listenOverflows', 'listenDrops', 'syncookiesSent', 'reqQFullDrop'] as const;

/** The counter reads' options: the read's procRoot, if any. */
const counterRoot = (read: ListenQueueOptions) => (read.procRoot === undefined ? {} : { procRoot: read.procRoot });
/** A listener as `address:port`, bracketed for IPv6. */
export const listenerName = (l: ListenQueue) => endpoint(l.localAddress, l.localPort, l.proto);
const anyListenerName = (l: AnyListenQueue) => (l.proto === 'unix' ? unixListenerName(l) : listenerName(l));
const known = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(n));

export async function queues(f: Flags): Promise<string> {
  const read = queueReadOptions(f, 'queues');
  const [listeners, all] = await Promise.all([listenQueues({ ...read, synRecv: true, unix: true }), netstatCounters(counterRoot(read))]);
  const key = keyCounters(all);
  const counters = Object.fromEntries(OVERFLOW_KEYS.map((k) => [k, key[k]]));
  if (f.json) return JSON.stringify({ listeners, counters }, null, 2);
  const table = formatTable(listeners, [
    { title: 'Local Address:Port', value: anyListenerName },
    { title: 'Accept-Q', value: (l) => known(l.acceptQueue), right: true },
    { title: 'Backlog', value: (l) => known(l.backlog), right: true },
    { title: 'SYN-Recv', value: (l) => (l.proto === 'unix' ? '-' : String(l.synRecv)), right: true },
    { title: 'Drops', value: (l) => (l.proto === 'unix' ? '-' : known(l.drops)), right: true },
    { title: 'Full', value: (l) => (l.full === null ? '-' : l.full ? 'yes' : 'no') },
  ]);
  const lines = OVERFLOW_KEYS.map((k) => `${String(key[k]).padStart(10)} ${k}`);
  return `${table}\n\nSince boot (or the namespace's creation):\n${lines.join('\n')}`;
}

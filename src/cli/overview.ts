// `sockscope` with no command: the state counts, then the listening sockets with their queues.
import { endpoint, formatStateCounts, formatTable } from '../format.js';
import { countStates, snapshot } from '../read.js';
import { readOptions, tcpProtocols, type Flags } from './args.js';
import { jsonRow } from './json-row.js';

export async function overview(f: Flags): Promise<string> {
  const opts = readOptions(f, tcpProtocols(f));
  const [counts, listeners] = await Promise.all([
    countStates(opts),
    snapshot({ ...opts, states: ['LISTEN'] }),
  ]);
  if (f.json) return JSON.stringify({ states: counts, listeners: listeners.toArray().map((r) => jsonRow(r)) }, null, 2);
  const table = formatTable(listeners.toArray(), [
    { title: 'Local Address:Port', value: (r) => endpoint(r.localAddress, r.localPort, r.proto) },
    { title: 'Accept-Q', value: (r) => String(r.recvQ), right: true },
    {
      title: 'Backlog',
      value: (r) => (listeners.source === 'netlink' ? String(r.sendQ) : '-'),
      right: true,
    },
  ]);
  return `TCP sockets by state (${counts.total} in all):\n${formatStateCounts(counts) || '      0'}\n\nListening:\n${table}`;
}

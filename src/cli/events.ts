// `sockscope events`: sockets as the kernel destroys them (as ss -E), a line or a JSON object
// each, or with --summary a table per interval, until SIGINT/SIGTERM.
import { events as closeEvents, type CloseEvent, type CloseEvents } from '../events.js';
import { summarizeEvents, type EventSummary } from '../events-summary.js';
import { endpoint, formatTable } from '../format.js';
import { positive, readOptions, UsageError, type Flags } from './args.js';
import { protocolsOf, stateArg } from './list.js';

/** ss -E -i's shape: netid, state, addresses, then the final tcp_info that matters most. */
function eventLine(e: CloseEvent): string {
  const i = e.info;
  const tcp = i ? ` bytes_acked:${i.bytesAcked} bytes_received:${i.bytesReceived} rtt:${(i.rtt ?? 0) / 1000}ms retrans:${i.totalRetrans}` : '';
  return `${e.proto.padEnd(5)} ${e.state.padEnd(6)} ${endpoint(e.localAddress, e.localPort, e.proto).padEnd(22)} ` +
    `${endpoint(e.remoteAddress, e.remotePort, e.proto).padEnd(22)} cookie:${e.cookie.toString(16)}${tcp}`;
}

/** One JSON object a line: the row, the cookie in hex as list --json -e prints it. */
function eventRecord(e: CloseEvent) {
  const { proto, protocol, family, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode, info } = e;
  return { proto, protocol, family, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode, cookie: e.cookie.toString(16), ...(info && { info }) };
}

const ms = (us: number) => (Number.isNaN(us) ? '-' : (us / 1000).toFixed(3));

function summaryText(s: EventSummary): string {
  const head = `${new Date(s.start).toTimeString().slice(0, 8)}  ${s.groups.reduce((n, g) => n + g.closed, 0)} closed` + (s.lost ? `, ${s.lost} lost` : '');
  if (s.groups.length === 0) return head;
  return `${head}\n${formatTable(s.groups, [
    { title: 'Group', value: (g) => g.key },
    { title: 'Closed', value: (g) => String(g.closed), right: true },
    { title: 'BytesAcked', value: (g) => String(g.bytesAcked), right: true },
    { title: 'BytesReceived', value: (g) => String(g.bytesReceived), right: true },
    { title: 'Retrans', value: (g) => String(g.totalRetrans), right: true },
    { title: 'RttP50ms', value: (g) => ms(g.rttP50), right: true },
    { title: 'RttP90ms', value: (g) => ms(g.rttP90), right: true },
    { title: 'RttP99ms', value: (g) => ms(g.rttP99), right: true },
  ])}`;
}

function noteLost(stream: CloseEvents, seen: { lost: number }): void {
  if (stream.lost === seen.lost) return;
  process.stderr.write(`sockscope: ${stream.lost - seen.lost} events lost (receive buffer full; ${stream.lost} in all)\n`);
  seen.lost = stream.lost;
}

/** Writes as it goes and returns '' once a signal stops it. */
export async function events(f: Flags): Promise<string> {
  for (const [flag, given] of [['-N/--netns', f.netns], ['--source', f.source], ['--proc-root', f['proc-root']]] as const) {
    if (given !== undefined) throw new UsageError(`${flag} does not apply to events: it follows the caller's namespace over netlink`);
  }
  const { localPort, remotePort } = readOptions(f, []);
  const by = f.by === undefined ? 'remotePrefix' : f.by === 'remote' ? 'remotePrefix' : f.by === 'port' ? 'localPort' : undefined;
  if (!by) throw new UsageError(`--by takes remote or port, not "${f.by}"`);
  const summary = f.summary === undefined ? undefined : positive(f.summary, '--summary', 1, false) * 1000;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const stream = closeEvents({
    // As ss -E: TCP and UDP unless -t or -u picks one.
    protocols: protocolsOf(f.tcp || f.udp ? f : { ...f, tcp: true, udp: true }),
    ...(f.state && { states: f.state.map(stateArg) }),
    ...(localPort !== undefined && { localPort }),
    ...(remotePort !== undefined && { remotePort }),
    signal: stop.signal,
  });
  const seen = { lost: 0 };
  try {
    if (summary !== undefined) {
      for await (const s of summarizeEvents(stream, { intervalMs: summary, by })) {
        process.stdout.write(`${f.json ? JSON.stringify(s) : summaryText(s)}\n`);
      }
    } else {
      for await (const e of stream) {
        process.stdout.write(`${f.json ? JSON.stringify(eventRecord(e)) : eventLine(e)}\n`);
        noteLost(stream, seen);
      }
    }
  } finally {
    noteLost(stream, seen);
    stream.close();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return '';
}

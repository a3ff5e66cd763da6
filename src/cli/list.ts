// `sockscope list`: sockets, as ss -tan prints them, with ss's default filter, flags and filter
// language (the words after the options).
import { parseFilter } from '../filter/index.js';
import { formatTable, formatTimer, socketColumns } from '../format.js';
import type { Protocol } from '../options.js';
import { formatOwners } from '../processes.js';
import { snapshot } from '../read.js';
import { TCP_STATES, type TcpState } from '../states.js';
import type { SocketRow } from '../table.js';
import { readOptions, UsageError, type Flags } from './args.js';
import { jsonRow } from './json-row.js';
import { unixList } from './list-unix.js';
import { summary } from './summary.js';

/** ss's default: connected sockets only (not LISTEN, CLOSE, TIME_WAIT, SYN_RECV). */
const CONNECTED: TcpState[] = TCP_STATES.filter(
  (s) => !['LISTEN', 'CLOSE', 'TIME_WAIT', 'SYN_RECV'].includes(s),
);

/** ss's state names (`ss state fin-wait-2`) and the short ones its output shows. */
const SS_NAMES: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED', 'SYN-SENT': 'SYN_SENT', 'SYN-RECV': 'SYN_RECV', 'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2', 'TIME-WAIT': 'TIME_WAIT', CLOSED: 'CLOSE', UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK', LISTENING: 'LISTEN',
};

export function protocolsOf(f: Flags): Protocol[] {
  if (f.ipv4 && f.ipv6) throw new UsageError('-4 and -6 exclude each other');
  const bases = [...(f.tcp || !f.udp ? ['tcp'] : []), ...(f.udp ? ['udp'] : [])];
  return bases.flatMap((b) => (f.ipv4 ? [b] : f.ipv6 ? [`${b}6`] : [b, `${b}6`])) as Protocol[];
}

/** Accepts netstat's names and ss's, in any case: `time-wait` is TIME_WAIT. */
export function stateArg(name: string): TcpState {
  const upper = name.toUpperCase();
  const state = SS_NAMES[upper] ?? upper;
  if (!(TCP_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`unknown state "${name}"; states: ${TCP_STATES.join(', ')}`);
  }
  return state as TcpState;
}

/** The states to read: the filter's state words replace -a/-l and ss's default, as in ss. */
function statesOf(f: Flags, filterHasStates: boolean): TcpState[] | undefined {
  if (f.listening && f.all) throw new UsageError('-l and -a exclude each other');
  if (f.state) return f.state.map(stateArg);
  if (filterHasStates) return undefined;
  if (f.listening) return f.udp && !f.tcp ? ['CLOSE'] : f.udp ? ['LISTEN', 'CLOSE'] : ['LISTEN'];
  return f.all ? undefined : CONNECTED;
}

export async function list(f: Flags, ...words: string[]): Promise<string> {
  if (f.unix) {
    if (words.length) throw new UsageError(`filter words apply to TCP and UDP sockets, not to list -x: "${words[0]}"`);
    return unixList(f);
  }
  if (f.stats) {
    if (f.netns !== undefined) throw new UsageError('-s reads /proc/net/sockstat: it takes --proc-root, not -N/--netns');
    const head = await summary(f);
    // As ss: the summary alone, unless sockets were asked for too.
    return f.tcp || f.udp || words.length ? `${head}\n${await table(f, words)}` : head;
  }
  return table(f, words);
}

async function table(f: Flags, words: string[]): Promise<string> {
  const protocols = protocolsOf(f);
  const filter = words.length ? words.join(' ') : undefined;
  const parsed = filter === undefined ? undefined : parseFilter(filter);
  const table = await snapshot({
    ...readOptions(f, protocols, statesOf(f, parsed?.states != null)),
    ...(filter !== undefined && { filter }),
    info: f.info,
    memory: f.memory,
    cookie: f.extended,
    ...(f.record !== undefined && { recordFile: f.record }),
    processes: Boolean(f.processes),
  });
  const rows = table.toArray();
  if (f.json) return JSON.stringify(rows.map((r) => jsonRow(r, f)), null, 2);
  if (f.ndjson) return rows.map((r) => JSON.stringify(jsonRow(r, f))).join('\n');
  const mixed = new Set(protocols.map((p) => p.replace('6', ''))).size > 1;
  const columns = socketColumns(mixed, Boolean(f.extended));
  // As ss: state words that select one state leave the State column out.
  const states = parsed?.states;
  if (states != null && (states & (states - 1)) === 0) columns.splice(mixed ? 1 : 0, 1);
  if (f.extended && table.source === 'netlink') columns.push({ title: 'Cookie', value: (r) => `sk:${r.cookie}` });
  if (f.processes) columns.push({ title: 'Process', value: (r) => formatOwners(r.owners) });
  if (f.options) columns.push({ title: 'Timer', value: formatTimer });
  const text = formatTable(rows, columns);
  const shown = f.info || f.memory ? withDetails(text, rows) : text;
  return f['no-header'] ? shown.slice(shown.indexOf('\n') + 1 || shown.length) : shown;
}

/** Under each socket's line, its tcp_info and memory as `key:value` pairs, as ss -i and -m print them. */
function withDetails(text: string, rows: SocketRow[]): string {
  const [head, ...lines] = text.split('\n');
  return [head, ...lines.flatMap((line, i) => [line, detailLine(rows[i]!)].filter(Boolean))].join('\n');
}

function detailLine(r: SocketRow): string {
  const pairs = { ...r.info, ...r.memory };
  const text = Object.entries(pairs).map(([k, v]) => `${k}:${v}`).join(' ');
  return text && `\t ${text}`;
}

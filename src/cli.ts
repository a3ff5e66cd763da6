#!/usr/bin/env node
// The sockscope command: parses arguments, calls the library, prints. Nothing else.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { countStates, snapshot } from './read.js';
import { SockscopeError } from './errors.js';
import { formatStateCounts, formatTable, socketColumns, endpoint } from './format.js';
import { SOURCES, type Protocol, type SnapshotOptions } from './options.js';
import { TCP_STATES, type TcpState } from './states.js';
import type { SocketRow } from './table.js';
import type { ListenQueueOptions } from './queues.js';
import { checkOneOf } from './validate.js';
import { countersCommand, doctorCommand, queuesCommand, watchCommand } from './cli-queues.js';

const USAGE = `Usage: sockscope [COMMAND] [OPTIONS]

Commands:
  (none)    state counts, then the listening sockets with their queues
  states    per-state TCP counts, as netstat -an | awk | sort | uniq -c      [-4|-6] [--json]
  list      sockets, as ss -tan   [-t] [-u] [-l|-a] [-4|-6] [-e] [-i] [-m] [--state NAME]... [--json|--ndjson]
  queues    listeners' accept queue, backlog and half-open count, and the overflow counters   [-4|-6] [--json]
  watch     [SECONDS] a sample every SECONDS (default 1): counter increases, busy accept queues
            [--count N] [--json] (one JSON object a line)
  counters  [PATTERN] kernel counters named as nstat -az names them; PATTERN: a regex, any case   [--json]
  doctor    what the tables, counters and sysctls say is wrong   [--duration SECONDS] [--json]

Options:
  -t, --tcp          TCP sockets (the default)
  -u, --udp          UDP sockets
  -l, --listening    listening sockets only
  -a, --all          every socket (without -l or -a, as ss: no LISTEN, TIME_WAIT, SYN_RECV or CLOSE)
  -4, -6             IPv4 or IPv6 only
  -e, --extended     add uid, inode and (netlink) the socket cookie
  -i, --info         add tcp_info: rtt, cwnd, bytes acked and received, ... (netlink)
  -m, --memory       add socket memory: SK_MEMINFO (netlink)
  --state NAME       keep sockets in this state (netstat's names, or ss's); repeatable
  --sport PORT       keep sockets whose local port is PORT or in LOW-HIGH (filtered in the kernel)
  --dport PORT       the same for the remote port
  --source SOURCE    auto, netlink or proc (default auto: netlink, else /proc)
  --proc-root DIR    read the /proc tables from DIR (e.g. /proc/PID/net)
  --json, --ndjson   JSON array, or one JSON object a line
  --count N          watch: stop after N samples
  --duration SECONDS doctor: sample twice, SECONDS apart, to see counters grow
  -h, --help         this text`;

const OPTIONS = {
  tcp: { type: 'boolean', short: 't' },
  udp: { type: 'boolean', short: 'u' },
  listening: { type: 'boolean', short: 'l' },
  all: { type: 'boolean', short: 'a' },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  extended: { type: 'boolean', short: 'e' },
  info: { type: 'boolean', short: 'i' },
  memory: { type: 'boolean', short: 'm' },
  sport: { type: 'string' },
  dport: { type: 'string' },
  state: { type: 'string', multiple: true },
  source: { type: 'string' },
  'proc-root': { type: 'string' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  count: { type: 'string' },
  duration: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type Flags = ReturnType<typeof parse>['values'];

class UsageError extends Error {}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** ss's default: connected sockets only (not LISTEN, CLOSE, TIME_WAIT, SYN_RECV). */
const CONNECTED: TcpState[] = TCP_STATES.filter(
  (s) => !['LISTEN', 'CLOSE', 'TIME_WAIT', 'SYN_RECV'].includes(s),
);

function protocolsOf(f: Flags): Protocol[] {
  if (f.ipv4 && f.ipv6) throw new UsageError('-4 and -6 exclude each other');
  const bases = [...(f.tcp || !f.udp ? ['tcp'] : []), ...(f.udp ? ['udp'] : [])];
  return bases.flatMap((b) => (f.ipv4 ? [b] : f.ipv6 ? [`${b}6`] : [b, `${b}6`])) as Protocol[];
}

/** ss's state names (`ss state fin-wait-2`) and the short ones its output shows. */
const SS_NAMES: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED', 'SYN-SENT': 'SYN_SENT', 'SYN-RECV': 'SYN_RECV', 'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2', 'TIME-WAIT': 'TIME_WAIT', CLOSED: 'CLOSE', UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK', LISTENING: 'LISTEN',
};

/** Accepts netstat's names and ss's, in any case: `time-wait` is TIME_WAIT. */
function stateArg(name: string): TcpState {
  const upper = name.toUpperCase();
  const state = SS_NAMES[upper] ?? upper;
  if (!(TCP_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`unknown state "${name}"; states: ${TCP_STATES.join(', ')}`);
  }
  return state as TcpState;
}

function statesOf(f: Flags): TcpState[] | undefined {
  if (f.listening && f.all) throw new UsageError('-l and -a exclude each other');
  if (f.state) return f.state.map(stateArg);
  if (f.listening) return f.udp && !f.tcp ? ['CLOSE'] : f.udp ? ['LISTEN', 'CLOSE'] : ['LISTEN'];
  return f.all ? undefined : CONNECTED;
}

/** `443` or `8000-8999`. */
function portArg(text: string, flag: string): number | [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw new UsageError(`${flag} takes a port or LOW-HIGH, not "${text}"`);
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}

function readOptions(f: Flags, protocols: Protocol[], states?: TcpState[]): SnapshotOptions {
  const o: SnapshotOptions = { protocols };
  if (states) o.states = states;
  if (f.sport !== undefined) o.localPort = portArg(f.sport, '--sport');
  if (f.dport !== undefined) o.remotePort = portArg(f.dport, '--dport');
  if (f.source !== undefined) {
    try {
      o.source = checkOneOf(f.source, '--source', SOURCES);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  if (f['proc-root'] !== undefined) o.procRoot = f['proc-root'];
  return o;
}

function tcpProtocols(f: Flags): Protocol[] {
  if (f.ipv4 && f.ipv6) throw new UsageError('-4 and -6 exclude each other');
  return f.ipv4 ? ['tcp'] : f.ipv6 ? ['tcp6'] : ['tcp', 'tcp6'];
}

/** The row keys the CLI prints as JSON; cookie, info and memory when asked for. */
function jsonRow(r: SocketRow, f: Flags = {}) {
  const { proto, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode } = r;
  return {
    ...{ proto, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode },
    ...(f.extended && r.cookie !== undefined ? { cookie: r.cookie } : {}),
    ...(f.info && r.info ? { info: r.info } : {}),
    ...(f.memory && r.memory ? { memory: r.memory } : {}),
  };
}

async function states(f: Flags): Promise<string> {
  const counts = await countStates(readOptions(f, tcpProtocols(f)));
  return f.json ? JSON.stringify(counts, null, 2) : formatStateCounts(counts);
}

async function list(f: Flags): Promise<string> {
  const protocols = protocolsOf(f);
  const table = await snapshot({ ...readOptions(f, protocols, statesOf(f)), info: f.info, memory: f.memory });
  const rows = table.toArray();
  if (f.json) return JSON.stringify(rows.map((r) => jsonRow(r, f)), null, 2);
  if (f.ndjson) return rows.map((r) => JSON.stringify(jsonRow(r, f))).join('\n');
  const mixed = new Set(protocols.map((p) => p.replace('6', ''))).size > 1;
  const text = formatTable(rows, socketColumns(mixed, Boolean(f.extended)));
  return f.info || f.memory ? withDetails(text, rows) : text;
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

async function overview(f: Flags): Promise<string> {
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

const COMMANDS: Record<string, (f: Flags, arg?: string) => Promise<string>> = {
  states,
  list,
  queues: (f) => queuesCommand(readOptions(f, tcpProtocols(f)) as ListenQueueOptions, Boolean(f.json)),
  watch: (f, seconds) => watchCommand(seconds, f.count, readOptions(f, tcpProtocols(f)) as ListenQueueOptions, Boolean(f.json)),
  counters: (f, pattern) => countersCommand(pattern, f['proc-root'], Boolean(f.json)),
  doctor: (f) => doctorCommand(readOptions(f, tcpProtocols(f)) as ListenQueueOptions, f.duration, Boolean(f.json)),
};
/** Commands that take one positional argument. */
const WITH_ARGUMENT = ['watch', 'counters'];

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.json && values.ndjson) throw new UsageError('--json and --ndjson exclude each other');
    const [name, ...rest] = positionals;
    const command = name === undefined ? overview : COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const allowed = WITH_ARGUMENT.includes(name!) ? 1 : 0;
    if (rest.length > allowed) throw new UsageError(`unexpected argument "${rest[allowed]}"`);
    const out = await command(values, rest[0]);
    if (out) process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) {
      process.stderr.write(`sockscope: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const code = err instanceof SockscopeError ? ` (${err.code})` : '';
    process.stderr.write(`sockscope: ${(err as Error).message}${code}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// The sockscope command: parses arguments, calls the library, prints. Nothing else.
import { once } from 'node:events';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { countStates, snapshot } from './read.js';
import { SockscopeError } from './errors.js';
import { formatStateCounts, formatTable, socketColumns, endpoint } from './format.js';
import { SOURCES, type Protocol, type SnapshotOptions } from './options.js';
import { TCP_STATES, type TcpState } from './states.js';
import { formatOwners } from './processes.js';
import type { SocketRow } from './table.js';
import type { ListenQueueOptions } from './queues.js';
import { checkOneOf } from './validate.js';
import { countersCommand, doctorCommand, queuesCommand, watchCommand } from './cli-queues.js';
import { NOT_FOR_UNIX, unixListCommand } from './cli-unix.js';

const USAGE = `Usage: sockscope [COMMAND] [OPTIONS]

Commands:
  (none)    state counts, then the listening sockets with their queues
  states    per-state TCP counts, as netstat -an | awk | sort | uniq -c      [-4|-6] [--json]
  list      sockets, as ss -tan   [-t] [-u] [-l|-a] [-4|-6] [-e] [-i] [-m] [-p] [--state NAME]... [--json|--ndjson]
            UNIX sockets, as ss -x: list -x [-l|-a] [-e] [-p] [--state NAME]... [--json|--ndjson]
  queues    listeners' accept queue, backlog and half-open count (TCP, then UNIX), and the overflow counters   [-4|-6] [--json]
  watch     [SECONDS] a sample every SECONDS (default 1): counter increases, busy accept queues
            [--count N] [--json] (one JSON object a line)
  counters  [PATTERN] kernel counters named as nstat -az names them; PATTERN: a regex, any case   [--json]
  doctor    what the tables, counters and sysctls say is wrong   [--duration SECONDS] [--json]
  serve     Prometheus metrics on http://HOST:PORT/metrics (needs prom-client)   [--port N] [--host ADDR]

Options:
  -t, --tcp          TCP sockets (the default)
  -u, --udp          UDP sockets
  -x, --unix         UNIX sockets (list only; alone: not with -t, -u, -4, -6, -i, -m, ports or --record)
  -l, --listening    listening sockets only
  -a, --all          every socket (without -l or -a, as ss: no LISTEN, TIME_WAIT, SYN_RECV or CLOSE)
  -4, -6             IPv4 or IPv6 only
  -e, --extended     add uid, inode and (netlink) the socket cookie
  -i, --info         add tcp_info: rtt, cwnd, bytes acked and received, ... (netlink)
  -m, --memory       add socket memory: SK_MEMINFO (netlink)
  -p, --processes    add the processes holding each socket, as ss -p (none for TIME_WAIT and SYN_RECV)
  --state NAME       keep sockets in this state (netstat's names, or ss's); repeatable
  --sport PORT       keep sockets whose local port is PORT or in LOW-HIGH (filtered in the kernel)
  --dport PORT       the same for the remote port
  --source SOURCE    auto, netlink or proc (default auto: netlink, else /proc)
  --proc-root DIR    read the /proc tables from DIR (e.g. /proc/PID/net)
  --record FILE      list: also write the raw netlink dump to FILE; replay it with
                     SOCKSCOPE_NETLINK_FILE=FILE sockscope ... (as ss's TCPDIAG_FILE)
  -N, --netns NAME   read network namespace NAME (/var/run/netns/NAME, as ip netns) or a namespace file path
  --json, --ndjson   JSON array, or one JSON object a line
  --count N          watch: stop after N samples
  --duration SECONDS doctor: sample twice, SECONDS apart, to see counters grow
  --port N           serve: TCP port, 0 for any free one (default 9464)
  --host ADDR        serve: address to listen on (default 127.0.0.1)
  -h, --help         this text`;

const OPTIONS = {
  tcp: { type: 'boolean', short: 't' },
  udp: { type: 'boolean', short: 'u' },
  unix: { type: 'boolean', short: 'x' },
  listening: { type: 'boolean', short: 'l' },
  all: { type: 'boolean', short: 'a' },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  extended: { type: 'boolean', short: 'e' },
  info: { type: 'boolean', short: 'i' },
  memory: { type: 'boolean', short: 'm' },
  sport: { type: 'string' },
  dport: { type: 'string' },
  processes: { type: 'boolean', short: 'p' },
  state: { type: 'string', multiple: true },
  source: { type: 'string' },
  'proc-root': { type: 'string' },
  record: { type: 'string' },
  netns: { type: 'string', short: 'N' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  count: { type: 'string' },
  duration: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string' },
  host: { type: 'string' },
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
  if (f.netns !== undefined) o.netns = f.netns.includes('/') ? f.netns : `/var/run/netns/${f.netns}`;
  return o;
}

function tcpProtocols(f: Flags): Protocol[] {
  if (f.ipv4 && f.ipv6) throw new UsageError('-4 and -6 exclude each other');
  return f.ipv4 ? ['tcp'] : f.ipv6 ? ['tcp6'] : ['tcp', 'tcp6'];
}

/** The row keys the CLI prints as JSON; cookie, info and memory when asked for. */
function jsonRow(r: SocketRow, f: Flags = {}) {
  const { proto, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode, owners } = r;
  return {
    ...{ proto, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode },
    ...(f.extended && r.cookie !== undefined ? { cookie: r.cookie } : {}),
    ...(f.info && r.info ? { info: r.info } : {}),
    ...(f.memory && r.memory ? { memory: r.memory } : {}),
    ...(owners && { owners }),
  };
}

async function states(f: Flags): Promise<string> {
  const counts = await countStates(readOptions(f, tcpProtocols(f)));
  return f.json ? JSON.stringify(counts, null, 2) : formatStateCounts(counts);
}

/** `list -x`: the flags that mean something for UNIX sockets, the others refused. */
function unixList(f: Flags): Promise<string> {
  const misplaced = NOT_FOR_UNIX.find((k) => f[k] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced} does not apply to UNIX sockets (-x)`);
  const { source, procRoot, netns } = readOptions(f, []);
  return unixListCommand({ ...f, source, procRoot, netns: netns as string | undefined });
}

async function list(f: Flags): Promise<string> {
  if (f.unix) return unixList(f);
  const protocols = protocolsOf(f);
  const table = await snapshot({
    ...readOptions(f, protocols, statesOf(f)),
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
  if (f.extended && table.source === 'netlink') columns.push({ title: 'Cookie', value: (r) => `sk:${r.cookie}` });
  if (f.processes) columns.push({ title: 'Process', value: (r) => formatOwners(r.owners) });
  const text = formatTable(rows, columns);
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

/** Serves /metrics until SIGINT or SIGTERM; prom-client is loaded only here, as it is optional. */
async function serve(f: Flags): Promise<string> {
  const port = f.port === undefined ? 9464 : Number(f.port);
  if (!/^\d+$/.test(f.port ?? '0') || port > 65535) throw new UsageError(`--port takes 0 to 65535, not "${f.port}"`);
  if (f.sport !== undefined || f.dport !== undefined) throw new UsageError('serve exports every socket: --sport and --dport do not apply');
  const { source, procRoot, netns } = readOptions(f, []);
  let serveMetrics: typeof import('./serve.js').serveMetrics;
  try {
    ({ serveMetrics } = await import('./serve.js'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String(err).includes('prom-client')) throw err;
    throw new Error('serve needs prom-client, an optional peer dependency: install it with `npm install prom-client`');
  }
  const lastError = new Map<string, string>();
  const server = await serveMetrics({
    port,
    host: f.host ?? '127.0.0.1',
    ...(source && { source }),
    ...(procRoot && { procRoot }),
    ...(netns && { netns }),
    // Once per read and distinct failure, not once per scrape: scrapes every few seconds would flood the log.
    onError(err, collector) {
      if (lastError.get(collector) !== err.message) process.stderr.write(`sockscope serve: ${collector} read failed: ${err.message}\n`);
      lastError.set(collector, err.message);
    },
  });
  process.stderr.write(`sockscope: serving metrics on ${server.url}\n`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await server.close();
  return '';
}


/** The queue commands read listeners and counters: they take neither port filters nor -N. */
function queueReadOptions(f: Flags, command: string): ListenQueueOptions {
  for (const [flag, given] of [['--sport', f.sport], ['--dport', f.dport], ['-N/--netns', f.netns]] as const) {
    if (given !== undefined) throw new UsageError(`${flag} does not apply to ${command}: it takes -4, -6, --source and --proc-root`);
  }
  return readOptions(f, tcpProtocols(f)) as ListenQueueOptions;
}

const COMMANDS: Record<string, (f: Flags, arg?: string) => Promise<string>> = {
  states,
  list,
  queues: (f) => queuesCommand(queueReadOptions(f, 'queues'), Boolean(f.json)),
  watch: (f, seconds) => watchCommand(seconds, f.count, queueReadOptions(f, 'watch'), Boolean(f.json)),
  counters: (f, pattern) => countersCommand(pattern, f['proc-root'], Boolean(f.json)),
  serve,
  doctor: (f) => doctorCommand(queueReadOptions(f, 'doctor'), f.duration, Boolean(f.json)),
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

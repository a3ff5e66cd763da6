// Argument parsing shared by every command: the flags, and their translation into the library's
// read options. Errors here are usage errors (exit status 2, the message and a hint to --help).
// Short flags combine in one word as ss takes them: `-tanp` is `-t -a -n -p`.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { SOURCES, type Protocol, type SnapshotOptions } from '../options.js';
import type { ListenQueueOptions } from '../queues.js';
import type { TcpState } from '../states.js';
import { checkOneOf, invalid } from '../validate.js';

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
  'count-ports': { type: 'string' },
  'top-prefixes': { type: 'string' },
  'top-destinations': { type: 'string' },
  by: { type: 'string' },
  prefix: { type: 'string' },
  top: { type: 'string' },
  // ss's habits: -n is accepted (sockscope never resolves), -r refused, -H, -o and -s as ss.
  numeric: { type: 'boolean', short: 'n' },
  resolve: { type: 'boolean', short: 'r' },
  'no-header': { type: 'boolean', short: 'H' },
  options: { type: 'boolean', short: 'o' },
  stats: { type: 'boolean', short: 's' },
  summary: { type: 'string' },
} satisfies ParseArgsConfig['options'];

/** The flags as parsed: every option above, by its long name. */
export type Flags = ReturnType<typeof parse>['values'];

/** A command line the CLI cannot run: its message and a hint to --help, exit status 2. */
export class UsageError extends Error {}

/** Splits argv into flags and positionals (the command and its argument). */
export function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    const { message, code } = err as Error & { code?: string };
    // Node's own text goes on about '--'; the first sentence is the one a user needs.
    throw new UsageError(code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? message.replace(/\. .*$/s, '').replace(/^Unknown/, 'unknown') : message);
  }
}

/** `443` or `8000-8999`. */
function portArg(text: string, flag: string): number | [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw new UsageError(`${flag} takes a port or LOW-HIGH, not "${text}"`);
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}

/** The read options every command shares: protocols, states, ports, source, procRoot and netns. */
export function readOptions(f: Flags, protocols: Protocol[], states?: TcpState[]): SnapshotOptions {
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

/** TCP over IPv4 and IPv6, or one of them with -4 or -6. */
export function tcpProtocols(f: Flags): Protocol[] {
  if (f.ipv4 && f.ipv6) throw new UsageError('-4 and -6 exclude each other');
  return f.ipv4 ? ['tcp'] : f.ipv6 ? ['tcp6'] : ['tcp', 'tcp6'];
}

/** The queue commands read listeners and counters: they take neither port filters nor -N. */
export function queueReadOptions(f: Flags, command: string): ListenQueueOptions {
  for (const [flag, given] of [['--sport', f.sport], ['--dport', f.dport], ['-N/--netns', f.netns]] as const) {
    if (given !== undefined) throw new UsageError(`${flag} does not apply to ${command}: it takes -4, -6, --source and --proc-root`);
  }
  return readOptions(f, tcpProtocols(f)) as ListenQueueOptions;
}

/** A positive number (an integer when `integer`) given as text; `fallback` when not given. */
export function positive(text: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  const what = integer ? 'a positive integer' : 'a positive number';
  if (text.trim() === '' || !(n > 0) || (integer && !Number.isInteger(n))) throw invalid(RangeError, what, name, text);
  return n;
}

/** A command: runs with the flags and its positional arguments, returns what to print ('' for nothing). */
export type Command = (f: Flags, ...args: string[]) => Promise<string>;

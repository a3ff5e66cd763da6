// `sockscope list -x`: UNIX sockets as `ss -x` prints them. Argument errors are usage errors
// (exit status 2, with the usage text).
import { formatTable, type Column } from '../format.js';
import { formatOwners } from '../processes.js';
import { UNIX_STATES, unixSockets, type UnixSocketOptions, type UnixSocketRow, type UnixState } from '../unix.js';
import type { Source } from '../options.js';
import { readOptions, UsageError, type Flags } from './args.js';

/** The list flags that apply to UNIX sockets. */
export interface UnixListFlags {
  listening?: boolean;
  all?: boolean;
  extended?: boolean;
  processes?: boolean;
  state?: string[];
  source?: Source;
  procRoot?: string;
  netns?: string;
  json?: boolean;
  ndjson?: boolean;
}

/** The flags of `list` that mean nothing for UNIX sockets. */
const NOT_FOR_UNIX = ['tcp', 'udp', 'ipv4', 'ipv6', 'info', 'memory', 'sport', 'dport', 'record'] as const;

/** ss's other spellings of the states a UNIX socket takes. */
const ALIASES: Record<string, UnixState> = {
  ESTABLISHED: 'ESTAB', CLOSE: 'UNCONN', CLOSED: 'UNCONN', SYN_SENT: 'SYN-SENT', LISTENING: 'LISTEN',
};

function stateArg(name: string): UnixState {
  const upper = name.toUpperCase();
  const state = ALIASES[upper] ?? upper;
  if (!(UNIX_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`unknown state "${name}"; states: ${UNIX_STATES.join(', ')}`);
  }
  return state as UnixState;
}

/** ss's selection: -l is LISTEN and UNCONN, -a everything, neither the connected sockets. */
function statesOf(f: UnixListFlags): UnixState[] | undefined {
  if (f.listening && f.all) throw new UsageError('-l and -a exclude each other');
  if (f.state) return f.state.map(stateArg);
  if (f.listening) return ['LISTEN', 'UNCONN'];
  return f.all ? undefined : UNIX_STATES.filter((s) => !['LISTEN', 'UNCONN', 'TIME-WAIT', 'SYN-RECV'].includes(s));
}

const NETID: Record<string, string> = { stream: 'u_str', dgram: 'u_dgr', seqpacket: 'u_seq' };
const known = (n: number | null) => (n === null ? '-' : String(n));

/** ss -x's columns: the name and inode as the local "address:port", the peer inode as the peer's. */
function unixColumns(f: UnixListFlags): Column<UnixSocketRow>[] {
  const cols: Column<UnixSocketRow>[] = [
    { title: 'Netid', value: (r) => NETID[r.type] ?? r.type },
    { title: 'State', value: (r) => r.state },
    { title: 'Recv-Q', value: (r) => known(r.recvQ), right: true },
    { title: 'Send-Q', value: (r) => known(r.sendQ), right: true },
    { title: 'Local Address:Port', value: (r) => `${r.path ?? '*'} ${r.inode}` },
    { title: 'Peer Address:Port', value: (r) => `* ${known(r.peerInode)}` },
  ];
  if (f.extended) cols.push({ title: 'Uid', value: (r) => known(r.uid), right: true });
  if (f.processes) cols.push({ title: 'Process', value: (r) => formatOwners(r.owners) });
  return cols;
}

/** `list -x`: the flags that mean something for UNIX sockets, the others refused. */
export function unixList(f: Flags): Promise<string> {
  const misplaced = NOT_FOR_UNIX.find((k) => f[k] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced} does not apply to UNIX sockets (-x)`);
  const { source, procRoot, netns } = readOptions(f, []);
  return unixListCommand({ ...f, source, procRoot, netns: netns as string | undefined });
}

/** A table as ss prints it, or JSON rows (`type, state, path, inode, peerInode, recvQ, sendQ, uid`, and `owners` with -p). */
async function unixListCommand(f: UnixListFlags): Promise<string> {
  const options: UnixSocketOptions = { processes: Boolean(f.processes) };
  const states = statesOf(f);
  if (states) options.states = states;
  if (f.source !== undefined) options.source = f.source;
  if (f.procRoot !== undefined) options.procRoot = f.procRoot;
  if (f.netns !== undefined) options.netns = f.netns;
  const rows = (await unixSockets(options)).toArray();
  if (f.json) return JSON.stringify(rows, null, 2);
  if (f.ndjson) return rows.map((r) => JSON.stringify(r)).join('\n');
  return formatTable(rows, unixColumns(f));
}

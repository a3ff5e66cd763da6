// The read options every function takes, validated into the addon's request before native runs.
import type { NativeRequest } from './native-types.js';
import { netnsRequest, type Netns } from './netns.js';
import { TCP_STATES, stateNumber, type TcpState } from './states.js';
import { checkKeys, checkList, checkObject, checkOneOf, checkString } from './validate.js';

export const PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
/** A kernel socket table: TCP or UDP, over IPv4 (`tcp`, `udp`) or IPv6 (`tcp6`, `udp6`). */
export type Protocol = (typeof PROTOCOLS)[number];

export const SOURCES = ['auto', 'netlink', 'proc'] as const;
/** Where sockets are read from: netlink sock_diag, the /proc/net text tables, or the best available. */
export type Source = (typeof SOURCES)[number];

/** Options of every read. */
export interface ReadOptions {
  /** Tables to read. @default ['tcp', 'tcp6'] */
  protocols?: Protocol[];
  /** Keep only sockets in these states (netstat's names). @default every state */
  states?: TcpState[];
  /** Read the tables from this directory instead of /proc/net, e.g. `/proc/<pid>/net` or a fixture. Implies `source: 'proc'`. @default '/proc/net' */
  procRoot?: string;
  /** Where to read from. @default 'auto' */
  source?: Source;
  /** Read this network namespace: a namespace file (`/var/run/netns/NAME`; needs CAP_SYS_ADMIN) or `{ pid }` (its /proc/PID/net). @default the caller's */
  netns?: Netns;
}

export const READ_OPTION_NAMES = ['protocols', 'states', 'procRoot', 'source', 'netns'] as const;

const ALL_STATES_MASK = 0x1ffe;
const IPV6_TABLES = (1 << 1) | (1 << 3);

function tableMask(protocols: readonly Protocol[]): number {
  return protocols.reduce((mask, p) => mask | (1 << PROTOCOLS.indexOf(p)), 0);
}

/** The state mask the kernel takes; SYN_RECV also asks for request sockets (NEW_SYN_RECV, 12). */
function stateMask(states: readonly TcpState[] | undefined): number {
  if (!states) return ALL_STATES_MASK;
  return states.reduce((mask, s) => {
    const n = stateNumber(s);
    return mask | (1 << n) | (n === 3 ? 1 << 12 : 0);
  }, 0);
}

function pickSource(source: Source, procRoot: string | undefined): 'netlink' | 'proc' {
  if (procRoot !== undefined && source === 'netlink') {
    throw new RangeError('procRoot reads /proc text tables, so it cannot be combined with source "netlink"');
  }
  return source === 'netlink' ? 'netlink' : 'proc';
}

/** Validates `options` of function `fn` and builds the native request. */
export function toNativeRequest(options: unknown, fn: string, extraKeys: readonly string[] = []): NativeRequest {
  const o = checkObject(options, 'options');
  checkKeys(o, [...READ_OPTION_NAMES, ...extraKeys], fn);
  const protocols = o.protocols === undefined ? undefined : checkList(o.protocols, 'protocols', PROTOCOLS);
  const states = o.states === undefined ? undefined : checkList(o.states, 'states', TCP_STATES);
  const procRoot = o.procRoot === undefined ? undefined : checkString(o.procRoot, 'procRoot');
  const source = o.source === undefined ? 'auto' : checkOneOf(o.source, 'source', SOURCES);
  const picked = pickSource(source, procRoot);
  const where = netnsRequest(o.netns, picked, procRoot);
  return {
    source: picked,
    tables: tableMask(protocols ?? ['tcp', 'tcp6']),
    // IPv6 may be disabled: its files are missing then, which is only an error when asked for by name.
    optionalTables: protocols ? 0 : IPV6_TABLES,
    states: stateMask(states),
    procRoot: where.procRoot ?? procRoot ?? '/proc/net',
    ...(where.netns && { netns: where.netns }),
  };
}

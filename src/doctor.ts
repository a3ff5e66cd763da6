// diagnose(): reads states, listen queues, counters and sysctls once (or twice, durationMs
// apart) and says what they mean, as findings. Reads only; never writes a sysctl.
import { countBy, type CountByOptions, type GroupCount } from './count-by.js';
import { endpoint } from './format.js';
import { portPressure, type PortPressure } from './port-pressure.js';
import { holdProcess } from './hold.js';
import { dropIncreases, planListenQueues, type ListenQueue, type ListenQueuePlan } from './queues.js';
import { snapshot } from './read.js';
import type { StateCounts } from './states.js';
import { readTcpSysctls, type TcpSysctls } from './sysctl.js';
import { unixListenQueues, unixListenerName, type UnixListenQueue } from './unix-queues.js';
import { checkBoolean, checkString, invalid } from './validate.js';
import { watch, type CounterValues, type WatchSample } from './watch.js';

/** Options of {@link diagnose}: where to read sockets (as listenQueues) and sysctls, and for how long. */
export interface DiagnoseOptions {
  /** Tables to read. @default ['tcp', 'tcp6'] */
  protocols?: ('tcp' | 'tcp6')[];
  /** Read sockets and counters from this directory, e.g. `/proc/<pid>/net`. @default '/proc/net' */
  procRoot?: string;
  /** Where to read sockets from. @default 'auto' */
  source?: 'auto' | 'netlink' | 'proc';
  /** Read sysctls from this directory. @default '/proc/sys' */
  sysRoot?: string;
  /**
   * Take a second sample this many milliseconds after the first, so that counters can be seen
   * growing (overflows since boot say little; overflows now say a lot). @default one sample
   */
  durationMs?: number;
  /**
   * Aborting it during `durationMs` diagnoses from the first sample alone; before the first
   * sample is read, diagnose rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Also look at the UNIX listeners (a full accept queue: the nginx-to-upstream 502). @default true */
  unix?: boolean;
}

export type Severity = 'info' | 'warning' | 'critical';

/** The kinds of findings. */
export type FindingId =
  | 'half-open-pressure'
  | 'accept-queue-full'
  | 'unix-accept-queue-full'
  | 'listen-overflows'
  | 'somaxconn-cap'
  | 'syn-backlog-cap'
  | 'time-wait-pile'
  | 'close-wait-pile'
  | 'syncookies-off'
  | 'tw-recycle-on'
  | 'ephemeral-ports'
  | 'syn-recv-concentration'
  | 'connection-concentration';

/** Numbers about one socket address, `endpoint` as ss prints it (`127.0.0.1:8080`, `[::]:443`). */
export interface EndpointEvidence {
  endpoint: string;
  evidence: Record<string, number>;
}

/** One thing the doctor found. */
export interface Finding {
  id: FindingId;
  severity: Severity;
  title: string;
  /** The numbers it rests on. */
  evidence: Record<string, number>;
  /** The listeners or local addresses it is about, worst first (at most 5); may be empty. */
  endpoints: EndpointEvidence[];
  advice: string;
}

/**
 * Where the doctor draws its lines. Half-open pressure: at least `halfOpenMin` SYN_RECV and no
 * fewer than ESTABLISHED; a SYN flood is suspected (critical) when, besides, ESTABLISHED is at
 * most half of SYN_RECV and SYN_RECV, TIME_WAIT and FIN_WAIT1 make at least two thirds of all
 * TCP sockets. A TIME_WAIT pile: at least `timeWaitMin` (info), or half the ephemeral port range
 * (warning). A CLOSE_WAIT pile: at least `closeWaitMin` (warning).
 */
export const DOCTOR_THRESHOLDS = {
  halfOpenMin: 32,
  timeWaitMin: 4096,
  closeWaitMin: 64,
  /** Ephemeral ports: share of the usable range one destination holds (info, warning, critical). */
  portPressureInfo: 0.2,
  portPressureWarning: 0.5,
  portPressureCritical: 0.9,
  /** Concentration: one remote /24 (/64) holding this share of `halfOpenMin`+ SYN_RECV sockets. */
  synRecvShare: 0.5,
  /** Concentration: one remote address holding this share of at least `connectionsMin` ESTABLISHED. */
  connectionShare: 0.5,
  connectionsMin: 1000,
} as const;

/** What the rules look at: one sample, and the increase over `seconds` when there were two. */
export interface DoctorInput {
  states: StateCounts;
  listeners: ListenQueue[];
  counters: CounterValues;
  increase: CounterValues | null;
  seconds: number | null;
  sysctls: TcpSysctls;
  /** CLOSE_WAIT sockets by local endpoint, read only when there are `closeWaitMin` of them. */
  closeWaitByEndpoint: Map<string, number>;
  /** The destinations holding the most ephemeral ports (portPressure), most first. */
  ports: PortPressure[];
  /** The remote prefixes holding the most SYN_RECV sockets, read only with `halfOpenMin` of them. */
  synRecvByPrefix: GroupCount[];
  /** The remote addresses holding the most ESTABLISHED sockets, read only with `connectionsMin` of them. */
  establishedByRemote: GroupCount[];
  /** The UNIX listeners, read with the last sample (absent: not looked at). */
  unixListeners?: UnixListenQueue[];
  /** With two samples, the first one's listeners: whose own drops grew in between. */
  listenersBefore?: ListenQueue[];
}

const TOP = 5;
const name = (l: ListenQueue) => endpoint(l.localAddress, l.localPort, l.proto);

function listenerEvidence(l: ListenQueue): EndpointEvidence {
  const evidence: Record<string, number> = { acceptQueue: l.acceptQueue };
  if (l.backlog !== null) evidence.backlog = l.backlog;
  if (l.synRecv !== undefined) evidence.synRecv = l.synRecv;
  return { endpoint: name(l), evidence };
}

const worst = (ls: ListenQueue[], by: (l: ListenQueue) => number) =>
  [...ls].sort((a, b) => by(b) - by(a)).slice(0, TOP).map(listenerEvidence);

const more = (n: number) => (n > 1 ? ` and ${n - 1} more` : '');

function halfOpen(d: DoctorInput): Finding | undefined {
  const { SYN_RECV: synRecv, ESTABLISHED: established, TIME_WAIT: timeWait, FIN_WAIT1: finWait1, total } = d.states;
  if (synRecv < DOCTOR_THRESHOLDS.halfOpenMin || synRecv < established) return undefined;
  const flood = established * 2 <= synRecv && (synRecv + timeWait + finWait1) * 3 >= total * 2;
  const waiting = d.listeners.filter((l) => (l.synRecv ?? 0) > 0);
  const evidence: Record<string, number> = { synRecv, established, timeWait, finWait1, total };
  evidence.syncookiesSent = (d.increase ?? d.counters).syncookiesSent;
  return {
    id: 'half-open-pressure',
    severity: flood ? 'critical' : 'warning',
    title: flood
      ? `SYN flood suspected: ${synRecv} half-open connections, ${established} established`
      : `${synRecv} half-open (SYN_RECV) connections against ${established} established`,
    evidence,
    endpoints: worst(waiting, (l) => l.synRecv ?? 0),
    advice:
      'Handshakes are started and not completed: clients that send SYN and never ACK (a SYN flood, ' +
      'often from spoofed addresses), or a path that loses the final ACK. Keep net.ipv4.tcp_syncookies ' +
      'at 1 so that a full SYN queue answers with cookies instead of dropping; a listener\'s SYN queue ' +
      'holds as many requests as its backlog. Filter the sources upstream if it is a flood.',
  };
}

function acceptQueueFull(d: DoctorInput): Finding | undefined {
  const full = d.listeners.filter((l) => l.full === true);
  if (full.length === 0) return undefined;
  return {
    id: 'accept-queue-full',
    severity: 'critical',
    title: `Accept queue full on ${name(full[0]!)}${more(full.length)}`,
    evidence: { listeners: full.length },
    endpoints: worst(full, (l) => l.acceptQueue),
    advice:
      'The kernel now drops SYNs and handshake ACKs for this listener (counted in ListenOverflows and ' +
      'ListenDrops); clients retry after 1, 3, 7 s. The application is not calling accept() fast enough ' +
      '(a blocked event loop, too few workers) or the backlog is too small for its bursts: accept faster, ' +
      'or raise the listen() backlog (capped by net.core.somaxconn).',
  };
}

function unixAcceptQueueFull(d: DoctorInput): Finding | undefined {
  const full = (d.unixListeners ?? []).filter((l) => l.full === true).sort((a, b) => b.acceptQueue! - a.acceptQueue!);
  if (full.length === 0) return undefined;
  return {
    id: 'unix-accept-queue-full',
    severity: 'critical',
    title: `Accept queue full on UNIX listener ${unixListenerName(full[0]!)}${more(full.length)}`,
    evidence: { listeners: full.length },
    endpoints: full.slice(0, TOP).map((l) => ({ endpoint: unixListenerName(l), evidence: { acceptQueue: l.acceptQueue!, backlog: l.backlog! } })),
    advice:
      'connect() to this socket now fails with EAGAIN for a non-blocking client (nginx logs "Resource ' +
      'temporarily unavailable" and answers 502) or blocks a blocking one; no TCP counter shows it. The ' +
      'server behind it (php-fpm, gunicorn, a Node cluster) is not calling accept() fast enough: too few ' +
      'workers, or workers stuck. Add workers or unblock them, or raise its listen backlog (php-fpm ' +
      'listen.backlog, gunicorn --backlog), which net.core.somaxconn caps.',
  };
}

/** The listeners whose own drops grew between the two samples (netlink only), most first. */
function droppedListeners(d: DoctorInput): EndpointEvidence[] {
  if (!d.listenersBefore) return [];
  return dropIncreases(d.listenersBefore, d.listeners)
    .slice(0, TOP)
    .map(({ listener, increase }) => {
      const e = listenerEvidence(listener);
      e.evidence.dropsIncrease = increase;
      return e;
    });
}

function listenOverflows(d: DoctorInput): Finding | undefined {
  const growing = d.increase !== null && (d.increase.listenOverflows > 0 || d.increase.listenDrops > 0);
  if (!growing && d.counters.listenOverflows === 0 && d.counters.listenDrops === 0) return undefined;
  const counts = growing ? d.increase! : d.counters;
  // The listeners whose own drops grew are the culprits. Else a full listener; without backlogs
  // (the /proc source) the ones holding connections nobody accepted are the suspects.
  const dropped = growing ? droppedListeners(d) : [];
  const full = d.listeners.filter((l) => l.full === true);
  const suspects = full.length > 0 ? full : d.listeners.filter((l) => l.full === null && l.acceptQueue > 0);
  const evidence: Record<string, number> = { listenOverflows: counts.listenOverflows, listenDrops: counts.listenDrops };
  if (growing) evidence.seconds = d.seconds!;
  return {
    id: 'listen-overflows',
    severity: growing ? 'critical' : 'info',
    title: growing
      ? `Listen queues overflowed ${counts.listenOverflows} times in ${d.seconds!.toFixed(1)} s`
      : `Listen queues overflowed ${counts.listenOverflows} times since the counters started (boot, or the namespace's creation)`,
    evidence,
    endpoints: dropped.length > 0 ? dropped : worst(suspects, (l) => l.acceptQueue),
    advice: growing
      ? dropped.length > 0
        ? 'Connections are being dropped now at the listeners below, whose own drop counts grew (dropsIncrease): ' +
          'accept faster or raise their backlog.'
        : 'Connections are being dropped now because an accept queue is full: see which listener holds ' +
          'connections nobody accepted, and accept faster or raise its backlog.'
      : d.increase
        ? `These counters only grow, and they did not in the ${d.seconds!.toFixed(1)} s watched: past trouble.`
        : 'These counters only grow; their total says little. Run again with a duration (sockscope doctor ' +
          '--duration 5) to see whether they grow now.',
  };
}

function somaxconnCap(d: DoctorInput): Finding | undefined {
  const max = d.sysctls.somaxconn;
  if (max === undefined) return undefined;
  const capped = d.listeners.filter((l) => l.backlog === max);
  if (capped.length === 0) return undefined;
  const hurting = capped.some((l) => l.full) || (d.increase?.listenOverflows ?? 0) > 0;
  return {
    id: 'somaxconn-cap',
    severity: hurting ? 'warning' : 'info',
    title: `Backlog of ${name(capped[0]!)}${more(capped.length)} capped by net.core.somaxconn (${max})`,
    evidence: { somaxconn: max, listeners: capped.length },
    endpoints: worst(capped, (l) => l.acceptQueue),
    advice:
      'The kernel silently lowers every listen() backlog to net.core.somaxconn; these listeners asked for ' +
      'at least as much. If their accept queues overflow, raise net.core.somaxconn (per network namespace) ' +
      'and the backlog the application passes to listen().',
  };
}

function synBacklogCap(d: DoctorInput): Finding | undefined {
  const { tcpMaxSynBacklog: max, tcpSyncookies } = d.sysctls;
  if (max === undefined || tcpSyncookies !== 0) return undefined;
  // Without cookies, tcp_conn_request drops SYNs once fewer than a quarter of the slots are left.
  const limit = max - (max >> 2);
  const capped = d.listeners.filter((l) => (l.synRecv ?? 0) >= limit);
  if (capped.length === 0) return undefined;
  return {
    id: 'syn-backlog-cap',
    severity: 'warning',
    title: `SYN queue of ${name(capped[0]!)}${more(capped.length)} at net.ipv4.tcp_max_syn_backlog's limit (${limit} of ${max})`,
    evidence: { tcpMaxSynBacklog: max, limit },
    endpoints: worst(capped, (l) => l.synRecv ?? 0),
    advice:
      'With syncookies off, the kernel drops SYNs from unknown peers once a SYN queue holds 3/4 of ' +
      'net.ipv4.tcp_max_syn_backlog. Turn net.ipv4.tcp_syncookies back to 1; raise tcp_max_syn_backlog ' +
      'only if the half-open connections are legitimate.',
  };
}

function timeWaitPile(d: DoctorInput): Finding | undefined {
  const timeWait = d.states.TIME_WAIT;
  if (timeWait < DOCTOR_THRESHOLDS.timeWaitMin) return undefined;
  const [first, last] = d.sysctls.ipLocalPortRange ?? [32768, 60999];
  const ports = last - first + 1;
  const evidence: Record<string, number> = { timeWait, ephemeralPorts: ports };
  if (d.sysctls.tcpTwReuse !== undefined) evidence.tcpTwReuse = d.sysctls.tcpTwReuse;
  if (d.sysctls.tcpFinTimeout !== undefined) evidence.tcpFinTimeout = d.sysctls.tcpFinTimeout;
  return {
    id: 'time-wait-pile',
    severity: timeWait * 2 >= ports ? 'warning' : 'info',
    title: `${timeWait} sockets in TIME_WAIT (${ports} ephemeral ports)`,
    evidence,
    endpoints: [],
    advice:
      'TIME_WAIT is the side that closed first waiting 60 s (fixed in the kernel, TCP_TIMEWAIT_LEN) so ' +
      'late segments cannot corrupt a new connection; it costs little memory. It hurts only outgoing ' +
      'connections to one destination, which can run out of ephemeral ports. net.ipv4.tcp_tw_reuse=1 ' +
      'lets new outgoing connections reuse such a port when timestamps make it safe; it does nothing for ' +
      'connections this host accepts and does not shorten TIME_WAIT. net.ipv4.tcp_fin_timeout governs ' +
      'orphaned FIN_WAIT2 sockets, not TIME_WAIT. Better: reuse connections (keep-alive, pools), or let ' +
      'the client close first. Never tcp_tw_recycle: it broke clients behind NAT and left Linux in 4.12.',
  };
}

function closeWaitPile(d: DoctorInput): Finding | undefined {
  const closeWait = d.states.CLOSE_WAIT;
  if (closeWait < DOCTOR_THRESHOLDS.closeWaitMin) return undefined;
  const endpoints = [...d.closeWaitByEndpoint]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([e, n]) => ({ endpoint: e, evidence: { closeWait: n } }));
  return {
    id: 'close-wait-pile',
    severity: 'warning',
    title: `${closeWait} sockets in CLOSE_WAIT${endpoints[0] ? `, most on ${endpoints[0].endpoint}` : ''}`,
    evidence: { closeWait },
    endpoints,
    advice:
      'CLOSE_WAIT means the peer closed and this application has not closed its socket: no kernel ' +
      'setting ends it. Find the code that owns these local addresses and close (or destroy) sockets on ' +
      "'end', on errors and on timeouts; a leak grows until descriptors run out.",
  };
}

function syncookiesOff(d: DoctorInput): Finding | undefined {
  if (d.sysctls.tcpSyncookies !== 0) return undefined;
  return {
    id: 'syncookies-off',
    severity: 'warning',
    title: 'SYN cookies are off (net.ipv4.tcp_syncookies = 0)',
    evidence: { tcpSyncookies: 0 },
    endpoints: [],
    advice:
      'When a listener\'s SYN queue fills (a SYN flood, or a burst), new SYNs are dropped instead of ' +
      'answered with a cookie. Set net.ipv4.tcp_syncookies = 1 (the default): cookies are used only when ' +
      'the queue is full.',
  };
}

function twRecycleOn(d: DoctorInput): Finding | undefined {
  if (d.sysctls.tcpTwRecycle !== 1) return undefined;
  return {
    id: 'tw-recycle-on',
    severity: 'critical',
    title: 'net.ipv4.tcp_tw_recycle is on',
    evidence: { tcpTwRecycle: 1 },
    endpoints: [],
    advice:
      'tcp_tw_recycle drops SYNs whose timestamps go backwards per source address: clients behind one NAT ' +
      'have unrelated clocks, so their connections fail at random. It was removed in Linux 4.12. Set it ' +
      'to 0.',
  };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

function ephemeralPorts(d: DoctorInput): Finding | undefined {
  const t = DOCTOR_THRESHOLDS;
  const hot = d.ports.filter((p) => p.fraction >= t.portPressureInfo);
  if (hot.length === 0) return undefined;
  const top = hot[0]!;
  const destination = endpoint(top.remoteAddress, top.remotePort, top.remoteAddress.includes(':') ? 'tcp6' : 'tcp');
  return {
    id: 'ephemeral-ports',
    severity: top.fraction >= t.portPressureCritical ? 'critical' : top.fraction >= t.portPressureWarning ? 'warning' : 'info',
    title: `${top.used} of ${top.rangeSize} ephemeral ports (${percent(top.fraction)}) held toward ${destination} from ${top.localAddress}`,
    evidence: {
      used: top.used, established: top.established, timeWait: top.timeWait, other: top.other, rangeSize: top.rangeSize,
      fraction: top.fraction, infoAt: t.portPressureInfo, warningAt: t.portPressureWarning, criticalAt: t.portPressureCritical,
    },
    endpoints: hot.slice(0, TOP).map((p) => ({
      endpoint: `${p.localAddress} -> ${endpoint(p.remoteAddress, p.remotePort, p.remoteAddress.includes(':') ? 'tcp6' : 'tcp')}`,
      evidence: { used: p.used, timeWait: p.timeWait, fraction: p.fraction },
    })),
    advice:
      'A connect() needs a local port no other socket holds toward the same destination, TIME_WAIT included: ' +
      'when the range runs out, connect() fails with EADDRNOTAVAIL. Reuse connections (keep-alive, a pool) ' +
      'instead of one per request; spread over more destination addresses or source addresses (each pair has ' +
      'its own range); net.ipv4.tcp_tw_reuse = 1 lets outgoing connections take ports held in TIME_WAIT when ' +
      'timestamps make it safe; widen net.ipv4.ip_local_port_range. Not tcp_tw_recycle: it was removed in Linux 4.12.',
  };
}

function synRecvConcentration(d: DoctorInput): Finding | undefined {
  const synRecv = d.states.SYN_RECV;
  const top = d.synRecvByPrefix[0];
  if (!top || synRecv < DOCTOR_THRESHOLDS.halfOpenMin || top.count < synRecv * DOCTOR_THRESHOLDS.synRecvShare) return undefined;
  return {
    id: 'syn-recv-concentration',
    severity: 'warning',
    title: `${top.remotePrefix} holds ${top.count} of ${synRecv} half-open connections (${percent(top.count / synRecv)})`,
    evidence: { synRecv, fromPrefix: top.count, share: top.count / synRecv, shareAt: DOCTOR_THRESHOLDS.synRecvShare },
    endpoints: d.synRecvByPrefix.slice(0, TOP).map((g) => ({ endpoint: g.remotePrefix!, evidence: { synRecv: g.count } })),
    advice:
      'Most handshakes left half-open come from one network: a flood from few sources, or one client whose ' +
      'final ACKs are lost on the way. Rate-limit or filter that prefix upstream (firewall, load balancer); keep ' +
      'net.ipv4.tcp_syncookies at 1.',
  };
}

function connectionConcentration(d: DoctorInput): Finding | undefined {
  const established = d.states.ESTABLISHED;
  const top = d.establishedByRemote[0];
  const t = DOCTOR_THRESHOLDS;
  if (!top || established < t.connectionsMin || top.count < established * t.connectionShare) return undefined;
  return {
    id: 'connection-concentration',
    severity: 'info',
    title: `${top.remoteAddress} holds ${top.count} of ${established} established connections (${percent(top.count / established)})`,
    evidence: { established, fromAddress: top.count, share: top.count / established, shareAt: t.connectionShare, minimum: t.connectionsMin },
    endpoints: d.establishedByRemote.slice(0, TOP).map((g) => ({ endpoint: g.remoteAddress!, evidence: { established: g.count } })),
    advice:
      'One peer holds most connections. A proxy or a pooled client does that by design; a count that only ' +
      'grows is a client (or this host, toward it) opening connections and never closing them: a pool leak. ' +
      'Compare over time (sockscope top --by remoteAddress) and cap the pool.',
  };
}

const RULES = [
  acceptQueueFull, unixAcceptQueueFull, listenOverflows, halfOpen, somaxconnCap, synBacklogCap, syncookiesOff, twRecycleOn, closeWaitPile, timeWaitPile,
  ephemeralPorts, synRecvConcentration, connectionConcentration,
];
const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** The findings of `input`, critical first. */
export function findingsOf(input: DoctorInput): Finding[] {
  return RULES.map((rule) => rule(input))
    .filter((f): f is Finding => f !== undefined)
    .sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}

async function closeWaitEndpoints(states: StateCounts, read: DiagnoseReads): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (states.CLOSE_WAIT < DOCTOR_THRESHOLDS.closeWaitMin) return out;
  for (const row of await snapshot({ ...read, states: ['CLOSE_WAIT'] })) {
    const e = endpoint(row.localAddress, row.localPort, row.proto);
    out.set(e, (out.get(e) ?? 0) + 1);
  }
  return out;
}

type DiagnoseReads = ListenQueuePlan['read'];

/** A sysRoot without ip_local_port_range (a kernel without it, a partial fixture): no port finding. */
function withoutRange(err: unknown): PortPressure[] {
  if ((err as { code?: string }).code === 'ENOENT') return [];
  throw err;
}

/** The TOP largest groups, without the `other` entry. */
async function topGroups(options: CountByOptions): Promise<GroupCount[]> {
  return (await countBy({ ...options, top: TOP })).filter((g): g is GroupCount => !('other' in g));
}

function checkDuration(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalid(TypeError, 'a number >= 1', 'durationMs', value);
  if (!(value >= 1 && value <= 2 ** 31 - 1)) throw invalid(RangeError, 'a number >= 1', 'durationMs', value);
  return value;
}

/**
 * Reads the host (or a namespace, through `procRoot`) once, or twice `durationMs` apart, and
 * says what it means: half-open pressure and suspected SYN floods, full accept queues, listen
 * overflows (growing ones only with `durationMs`), backlogs capped by net.core.somaxconn or
 * net.ipv4.tcp_max_syn_backlog, TIME_WAIT and CLOSE_WAIT piles, syncookies off,
 * tcp_tw_recycle on, ephemeral ports running out toward a destination, and half-open or
 * established connections concentrated on one remote prefix or address. Thresholds: {@link DOCTOR_THRESHOLDS}. A calm host gets no warnings.
 * It reads every socket's state and the SYN_RECV sockets: a full dump, meant for a person's
 * question, not a hot loop.
 *
 * @throws TypeError or RangeError for bad options; SockscopeError when a read fails.
 */
export async function diagnose(options?: DiagnoseOptions): Promise<Finding[]> {
  const plan = planListenQueues(options, 'diagnose', ['sysRoot', 'durationMs', 'signal', 'unix']);
  const o = (options ?? {}) as DiagnoseOptions;
  const unix = checkBoolean(o.unix, 'unix', true);
  const sysRoot = o.sysRoot === undefined ? '/proc/sys' : checkString(o.sysRoot, 'sysRoot');
  const durationMs = checkDuration(o.durationMs);
  const samples: WatchSample[] = [];
  const watching = watch({ ...plan.read, synRecv: true, states: true, intervalMs: durationMs ?? 1, signal: o.signal });
  const release = holdProcess();
  try {
    for await (const sample of watching) {
      samples.push(sample);
      if (durationMs === undefined || samples.length === 2) break;
    }
  } finally {
    release();
  }
  const last = samples.at(-1);
  if (!last) throw o.signal!.reason;
  const states = last.states!;
  const [sysctls, closeWaitByEndpoint, unixListeners, ports, synRecvByPrefix, establishedByRemote] = await Promise.all([
    readTcpSysctls(sysRoot),
    closeWaitEndpoints(states, plan.read),
    unix ? unixListenQueues(plan.read) : undefined,
    portPressure({ ...plan.read, sysRoot, top: TOP }).catch(withoutRange),
    states.SYN_RECV < DOCTOR_THRESHOLDS.halfOpenMin ? [] : topGroups({ ...plan.read, by: 'remotePrefix', states: ['SYN_RECV'] }),
    states.ESTABLISHED < DOCTOR_THRESHOLDS.connectionsMin ? [] : topGroups({ ...plan.read, by: 'remoteAddress', states: ['ESTABLISHED'] }),
  ]);
  return findingsOf({
    ports,
    synRecvByPrefix,
    establishedByRemote,
    states,
    listeners: last.listeners,
    counters: last.counters,
    increase: last.increase,
    seconds: samples.length === 2 ? (last.elapsedMs - samples[0]!.elapsedMs) / 1000 : null,
    sysctls,
    closeWaitByEndpoint,
    ...(unixListeners && { unixListeners }),
    ...(samples.length === 2 && { listenersBefore: samples[0]!.listeners }),
  });
}

// The doctor's rules, each fed a made-up input: which findings, of which severity, with which lines.
import { describe, expect, it } from 'vitest';

import { TCP_STATES, type StateCounts } from '../../src/index.js';
import { findingsOf, type DoctorInput } from '../../src/doctor.js';

describe('the rules', () => {
  const counts = (n: Partial<StateCounts>): StateCounts => {
    const out = Object.fromEntries(TCP_STATES.map((s) => [s, n[s] ?? 0])) as StateCounts;
    out.total = TCP_STATES.reduce((a, s) => a + out[s], 0);
    return out;
  };
  const zero = { listenOverflows: 0, listenDrops: 0, syncookiesSent: 0, reqQFullDrop: 0, backlogDrop: 0, retransSegs: 0, outRsts: 0, attemptFails: 0, estabResets: 0, all: {} };
  const input = (d: Partial<DoctorInput>): DoctorInput => ({
    states: counts({}), listeners: [], counters: zero, increase: null, seconds: null, sysctls: {}, closeWaitByEndpoint: new Map(),
    ports: [], synRecvByPrefix: [], establishedByRemote: [], ...d,
  });
  const ids = (d: Partial<DoctorInput>) => findingsOf(input(d)).map((f) => `${f.severity} ${f.id}`);

  it('sees half-open pressure from 32 SYN_RECV no fewer than ESTABLISHED; a flood when they dominate', () => {
    expect(ids({ states: counts({ SYN_RECV: 31 }) })).toEqual([]);
    expect(ids({ states: counts({ SYN_RECV: 40, ESTABLISHED: 41 }) })).toEqual([]);
    expect(ids({ states: counts({ SYN_RECV: 40, ESTABLISHED: 30, LISTEN: 30 }) })).toEqual(['warning half-open-pressure']);
    expect(findingsOf(input({ states: counts({ SYN_RECV: 40, ESTABLISHED: 30 }) }))[0]!.title).toBe('40 half-open (SYN_RECV) connections against 30 established');
    expect(ids({ states: counts({ SYN_RECV: 40, TIME_WAIT: 20, ESTABLISHED: 20 }) })).toEqual(['critical half-open-pressure']);
  });

  it('calls growing overflows critical, with the seconds', () => {
    const f = findingsOf(input({ increase: { ...zero, listenOverflows: 5, listenDrops: 6 }, seconds: 2 }));
    expect(f.map(({ advice, ...x }) => x)).toEqual([
      { id: 'listen-overflows', severity: 'critical', title: 'Listen queues overflowed 5 times in 2.0 s', evidence: { listenOverflows: 5, listenDrops: 6, seconds: 2 }, endpoints: [] },
    ]);
    const past = findingsOf(input({ increase: zero, seconds: 2, counters: { ...zero, listenOverflows: 9 } }));
    expect(past.map((f) => [f.severity, f.title, f.advice])).toEqual([
      ['info', "Listen queues overflowed 9 times since the counters started (boot, or the namespace's creation)", 'These counters only grow, and they did not in the 2.0 s watched: past trouble.'],
    ]);
  });

  it('names the listeners whose own drops grew between the two samples, ahead of a full one', () => {
    const l = (localPort: number, drops: number | null, full = false) =>
      ({ proto: 'tcp' as const, localAddress: '127.0.0.1', localPort, acceptQueue: full ? 2 : 0, backlog: 1, full, drops });
    const growing = { increase: { ...zero, listenOverflows: 9, listenDrops: 11 }, seconds: 1 };
    const overflows = (d: Partial<DoctorInput>) => findingsOf(input({ ...growing, ...d })).find((f) => f.id === 'listen-overflows')!;
    const f = overflows({
      // 80 is full but dropped nothing; 81 dropped 9; the two sockets of 82 (SO_REUSEPORT) 2 between them; 83 is unknown (/proc).
      listenersBefore: [l(80, 8, true), l(81, 3), l(82, 1), l(82, 1), l(83, null)],
      listeners: [l(80, 8, true), l(81, 12), l(82, 1), l(82, 3), l(83, null), l(84, 5)],
    });
    expect(f.endpoints).toEqual([
      { endpoint: '127.0.0.1:81', evidence: { acceptQueue: 0, backlog: 1, dropsIncrease: 9 } },
      { endpoint: '127.0.0.1:82', evidence: { acceptQueue: 0, backlog: 1, dropsIncrease: 2 } },
    ]);
    expect(f.advice).toMatch(/^Connections are being dropped now at the listeners below/);
    // One sample, or no drop that grew: the full listener is the suspect, as before.
    expect(overflows({ listeners: [l(80, 8, true), l(81, 12)] }).endpoints.map((e) => e.endpoint)).toEqual(['127.0.0.1:80']);
    expect(overflows({ listenersBefore: [l(80, 8, true)], listeners: [l(80, 8, true)] }).endpoints.map((e) => e.endpoint)).toEqual(['127.0.0.1:80']);
  });

  it('finds a SYN queue at tcp_max_syn_backlog\'s limit only with syncookies off', () => {
    const listeners = [{ proto: 'tcp' as const, localAddress: '0.0.0.0', localPort: 80, acceptQueue: 0, backlog: 4096, full: false, synRecv: 96 }];
    const sysctls = { tcpMaxSynBacklog: 128, tcpSyncookies: 0 };
    expect(ids({ listeners, sysctls })).toEqual(['warning syn-backlog-cap', 'warning syncookies-off']);
    expect(findingsOf(input({ listeners, sysctls }))[0]!.title).toBe("SYN queue of 0.0.0.0:80 at net.ipv4.tcp_max_syn_backlog's limit (96 of 128)");
    expect(ids({ listeners, sysctls: { ...sysctls, tcpSyncookies: 1 } })).toEqual([]);
  });

  it('reports a TIME_WAIT pile, a warning past half the ephemeral ports, and explains tcp_tw_reuse', () => {
    const sysctls = { ipLocalPortRange: [32768, 60999] as [number, number], tcpTwReuse: 2, tcpFinTimeout: 60 };
    expect(ids({ states: counts({ TIME_WAIT: 4095 }), sysctls })).toEqual([]);
    const [info] = findingsOf(input({ states: counts({ TIME_WAIT: 5000 }), sysctls }));
    expect(info).toMatchObject({ severity: 'info', evidence: { timeWait: 5000, ephemeralPorts: 28232, tcpTwReuse: 2, tcpFinTimeout: 60 } });
    expect(info!.advice).toContain('does nothing for connections this host accepts');
    expect(info!.advice).toContain('net.ipv4.tcp_fin_timeout governs orphaned FIN_WAIT2 sockets, not TIME_WAIT');
    expect(ids({ states: counts({ TIME_WAIT: 14116 }), sysctls })).toEqual(['warning time-wait-pile']);
  });

  it('marks a somaxconn cap a warning when that listener is full', () => {
    const listener = { proto: 'tcp' as const, localAddress: '127.0.0.1', localPort: 8080, acceptQueue: 129, backlog: 128, full: true };
    expect(ids({ listeners: [listener], sysctls: { somaxconn: 128 } })).toEqual(['critical accept-queue-full', 'warning somaxconn-cap']);
    expect(ids({ listeners: [{ ...listener, acceptQueue: 0, full: false }], sysctls: { somaxconn: 128 } })).toEqual(['info somaxconn-cap']);
  });

  const pressure = (used: number, rangeSize: number, timeWait = used) => ({
    localAddress: '10.0.0.5', remoteAddress: '10.9.9.9', remotePort: 443, used, established: used - timeWait, timeWait, other: 0, rangeSize, fraction: used / rangeSize,
  });

  it('names the destination running out of ephemeral ports, with the thresholds', () => {
    expect(ids({ ports: [pressure(199, 1000)] })).toEqual([]);
    expect(ids({ ports: [pressure(200, 1000)] })).toEqual(['info ephemeral-ports']);
    expect(ids({ ports: [pressure(500, 1000)] })).toEqual(['warning ephemeral-ports']);
    const [f] = findingsOf(input({ ports: [pressure(950, 1000, 900), pressure(300, 1000)] }));
    expect(f!.severity).toBe('critical');
    expect(f!.title).toBe('950 of 1000 ephemeral ports (95.0%) held toward 10.9.9.9:443 from 10.0.0.5');
    expect(f!.evidence).toEqual({ used: 950, established: 50, timeWait: 900, other: 0, rangeSize: 1000, fraction: 0.95, infoAt: 0.2, warningAt: 0.5, criticalAt: 0.9 });
    expect(f!.endpoints.map((e) => e.endpoint)).toEqual(['10.0.0.5 -> 10.9.9.9:443', '10.0.0.5 -> 10.9.9.9:443']);
    expect(f!.advice).toContain('tcp_tw_reuse');
    expect(f!.advice).toContain('ip_local_port_range');
    expect(f!.advice).toMatch(/Not tcp_tw_recycle: it was removed in Linux 4\.12/);
  });

  it('sees half-open connections concentrated on one prefix, and connections on one peer', () => {
    const syn = [{ remotePrefix: '203.0.113.0/24', count: 30 }, { remotePrefix: '198.51.100.0/24', count: 10 }];
    expect(ids({ states: counts({ SYN_RECV: 40, ESTABLISHED: 100 }), synRecvByPrefix: syn })).toEqual(['warning syn-recv-concentration']);
    expect(ids({ states: counts({ SYN_RECV: 61, ESTABLISHED: 100 }), synRecvByPrefix: syn })).toEqual([]);
    const f = findingsOf(input({ states: counts({ SYN_RECV: 40, ESTABLISHED: 100 }), synRecvByPrefix: syn }))[0]!;
    expect(f.title).toBe('203.0.113.0/24 holds 30 of 40 half-open connections (75.0%)');
    const peers = [{ remoteAddress: '10.1.1.1', count: 600 }];
    expect(ids({ states: counts({ ESTABLISHED: 1000 }), establishedByRemote: peers })).toEqual(['info connection-concentration']);
    expect(ids({ states: counts({ ESTABLISHED: 999 }), establishedByRemote: peers })).toEqual([]);
    expect(ids({ states: counts({ ESTABLISHED: 1201 }), establishedByRemote: peers })).toEqual([]);
  });
});

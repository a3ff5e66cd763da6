// The doctor: real namespaces under pressure and calm, sysctl fixtures, and each rule's lines.
import fs from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { diagnose, TCP_STATES, type Finding, type StateCounts } from '../dist/index.js';
import { findingsOf, type DoctorInput } from '../dist/doctor.js';
import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from './helpers/netns.js';
import { netlinkReady } from './helpers/netlink.js';
import { countBy, parseSs } from './helpers/peers.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/listen_pressure.py');
const withoutAdvice = (findings: Finding[]) => findings.map(({ advice, ...f }) => (expect(advice.length).toBeGreaterThan(40), f));
const byEndpoint = (f: Omit<Finding, 'advice'>) => ({ ...f, endpoints: [...f.endpoints].sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1)) });

const sysDirs: string[] = [];
function sysRoot(values: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-sys-'));
  sysDirs.push(dir);
  for (const [file, value] of Object.entries(values)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), `${value}\n`);
  }
  return dir;
}
afterAll(() => sysDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const needs = !HAS_NETNS || !hasCommand('ss') || !hasCommand('python3');

describe.skipIf(needs)('doctor on a namespace with a flooded listener and half-open connections', () => {
  const HALF_OPEN = 20;
  let fx: Fixture<{ flood: number; defer4: number; dual: number }>;
  let findings: Omit<Finding, 'advice'>[];
  let states: Record<string, number>;

  beforeAll(async () => {
    fx = await startInNetns(['python3', FIXTURE, '--half-open', String(HALF_OPEN)]);
    fx.exec('python3', [path.join(ROOT, 'test/fixtures/flood.py'), String(fx.made.flood), '10']);
    const r = cli(['doctor', '--json'], fx);
    expect(r.status, r.stderr).toBe(0);
    findings = withoutAdvice(JSON.parse(r.stdout) as Finding[]);
    states = countBy(parseSs(fx.exec('ss', ['-tanH'])));
  });
  afterAll(() => fx?.stop());

  const backlog = (n: number) => (netlinkReady ? { backlog: n } : {});

  it('finds the half-open pressure, a suspected SYN flood, naming the listeners', () => {
    const total = Object.values(states).reduce((a, b) => a + b, 0);
    expect(byEndpoint(findings.find((f) => f.id === 'half-open-pressure')!)).toEqual({
      id: 'half-open-pressure',
      severity: 'critical',
      title: `SYN flood suspected: ${2 * HALF_OPEN} half-open connections, 0 established`,
      evidence: { synRecv: 2 * HALF_OPEN, established: 0, timeWait: 0, finWait1: 0, total, syncookiesSent: 0 },
      endpoints: [
        { endpoint: '0.0.0.0:' + fx.made.defer4, evidence: { acceptQueue: 0, ...backlog(128), synRecv: HALF_OPEN } },
        { endpoint: '[::]:' + fx.made.dual, evidence: { acceptQueue: 0, ...backlog(128), synRecv: HALF_OPEN } },
      ],
    });
    expect(states.SYN_RECV).toBe(2 * HALF_OPEN);
  });

  it('names the overflowing listener', () => {
    const flood = { endpoint: `127.0.0.1:${fx.made.flood}`, evidence: { acceptQueue: 2, ...backlog(1), synRecv: 0 } };
    expect(findings.find((f) => f.id === 'listen-overflows')).toEqual({
      id: 'listen-overflows',
      severity: 'info',
      title: "Listen queues overflowed 8 times since the counters started (boot, or the namespace's creation)",
      evidence: { listenOverflows: 8, listenDrops: 8 },
      endpoints: [flood],
    });
    const full = netlinkReady
      ? [{ id: 'accept-queue-full', severity: 'critical', title: `Accept queue full on 127.0.0.1:${fx.made.flood}`, evidence: { listeners: 1 }, endpoints: [flood] }]
      : [];
    expect(findings.filter((f) => f.id === 'accept-queue-full')).toEqual(full);
    expect(findings.map((f) => f.id)).toEqual([...full.map((f) => f.id), 'half-open-pressure', 'listen-overflows']);
  });

  it('prints the findings as text, critical first', () => {
    const r = cli(['doctor'], fx);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^CRITICAL (accept-queue-full|half-open-pressure): /);
    expect(r.stdout).toContain(`\nINFO listen-overflows: Listen queues overflowed 8 times`);
    expect(r.stdout).toContain(`\n  127.0.0.1:${fx.made.flood} acceptQueue=2 `);
  });
});

describe.skipIf(needs)('doctor on calm namespaces', () => {
  let fx: Fixture<{ flood: number }>;
  beforeAll(async () => {
    fx = await startInNetns(['python3', FIXTURE]);
  });
  afterAll(() => fx?.stop());

  it('reports nothing on a calm namespace', async () => {
    expect(JSON.parse(cli(['doctor', '--json'], fx).stdout)).toEqual([]);
    expect(cli(['doctor'], fx).stdout).toBe('No findings.\n');
    expect(await diagnose({ procRoot: `/proc/${fx.pid}/net` })).toEqual([]);
  });

  it('finds syncookies off and tcp_tw_recycle on from the sysctls', async () => {
    const root = sysRoot({ 'net/core/somaxconn': '4096', 'net/ipv4/tcp_syncookies': '0', 'net/ipv4/tcp_tw_recycle': '1' });
    expect(withoutAdvice(await diagnose({ procRoot: `/proc/${fx.pid}/net`, sysRoot: root }))).toEqual([
      { id: 'tw-recycle-on', severity: 'critical', title: 'net.ipv4.tcp_tw_recycle is on', evidence: { tcpTwRecycle: 1 }, endpoints: [] },
      { id: 'syncookies-off', severity: 'warning', title: 'SYN cookies are off (net.ipv4.tcp_syncookies = 0)', evidence: { tcpSyncookies: 0 }, endpoints: [] },
    ]);
  });

  it('refuses a sysctl that is not an integer', async () => {
    const root = sysRoot({ 'net/ipv4/tcp_syncookies': 'on' });
    await expect(diagnose({ procRoot: `/proc/${fx.pid}/net`, sysRoot: root })).rejects.toMatchObject({
      code: 'ERR_SYSCTL_PARSE', message: `${root}/net/ipv4/tcp_syncookies: expected integers but found "on"`,
    });
  });

  it('stays calm over a duration, and the CLI waits it out', async () => {
    expect(await diagnose({ procRoot: `/proc/${fx.pid}/net`, durationMs: 20 })).toEqual([]);
    const r = cli(['doctor', '--duration', '0.05', '--json'], fx);
    expect(r).toEqual({ status: 0, stdout: '[]\n', stderr: '' });
  });
});

describe.skipIf(needs)('doctor on a CLOSE_WAIT pile', () => {
  let fx: Fixture<{ closeWait: number }>;
  beforeAll(async () => {
    fx = await startInNetns(['python3', FIXTURE, '--close-wait', '70']);
  });
  afterAll(() => fx?.stop());

  it('names the local address holding them', () => {
    expect(withoutAdvice(JSON.parse(cli(['doctor', '--json'], fx).stdout))).toEqual([
      {
        id: 'close-wait-pile',
        severity: 'warning',
        title: `70 sockets in CLOSE_WAIT, most on 127.0.0.1:${fx.made.closeWait}`,
        evidence: { closeWait: 70 },
        endpoints: [{ endpoint: `127.0.0.1:${fx.made.closeWait}`, evidence: { closeWait: 70 } }],
      },
    ]);
  });
});

describe.skipIf(!netlinkReady)('a backlog capped by net.core.somaxconn (netlink)', () => {
  it('is named, from a sysRoot whose somaxconn equals the backlog', async () => {
    const server = net.createServer().listen({ host: '127.0.0.1', port: 0, backlog: 37 });
    await once(server, 'listening');
    try {
      const findings = await diagnose({ source: 'netlink', sysRoot: sysRoot({ 'net/core/somaxconn': '37' }) });
      const cap = findings.find((f) => f.id === 'somaxconn-cap')!;
      expect(cap.severity).toBe('info');
      expect(cap.endpoints).toContainEqual({
        endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        evidence: { acceptQueue: 0, backlog: 37, synRecv: 0 },
      });
    } finally {
      server.close();
    }
  });
});

describe('the rules', () => {
  const counts = (n: Partial<StateCounts>): StateCounts => {
    const out = Object.fromEntries(TCP_STATES.map((s) => [s, n[s] ?? 0])) as StateCounts;
    out.total = TCP_STATES.reduce((a, s) => a + out[s], 0);
    return out;
  };
  const zero = { listenOverflows: 0, listenDrops: 0, syncookiesSent: 0, reqQFullDrop: 0, backlogDrop: 0, retransSegs: 0, outRsts: 0, attemptFails: 0, estabResets: 0, all: {} };
  const input = (d: Partial<DoctorInput>): DoctorInput => ({
    states: counts({}), listeners: [], counters: zero, increase: null, seconds: null, sysctls: {}, closeWaitByEndpoint: new Map(), ...d,
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
});

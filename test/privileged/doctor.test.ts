// The doctor on real namespaces, under pressure and calm, with sysctl fixtures.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { diagnose, type Finding } from '../../src/index.js';
import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { netlinkReady } from '../helpers/netlink.js';
import { countBy, parseSs } from '../helpers/peers.js';
import { sysDir } from '../helpers/proc-dir.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/listen_pressure.py');
const withoutAdvice = (findings: Finding[]) => findings.map(({ advice, ...f }) => (expect(advice.length).toBeGreaterThan(40), f));
const byEndpoint = (f: Omit<Finding, 'advice'>) => ({ ...f, endpoints: [...f.endpoints].sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1)) });

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
    expect(findings.map((f) => f.id)).toEqual([...full.map((f) => f.id), 'half-open-pressure', 'syn-recv-concentration', 'listen-overflows']);
  });

  it('sees the half-open connections concentrated on one prefix: the IPv4 ones and the IPv4-mapped', () => {
    const synRecv = 2 * HALF_OPEN;
    const fromLoopback = HALF_OPEN + HALF_OPEN / 2;
    expect(findings.find((f) => f.id === 'syn-recv-concentration')).toEqual({
      id: 'syn-recv-concentration',
      severity: 'warning',
      title: `127.0.0.0/24 holds ${fromLoopback} of ${synRecv} half-open connections (${((fromLoopback / synRecv) * 100).toFixed(1)}%)`,
      evidence: { synRecv, fromPrefix: fromLoopback, share: fromLoopback / synRecv, shareAt: 0.5 },
      endpoints: [
        { endpoint: '127.0.0.0/24', evidence: { synRecv: fromLoopback } },
        { endpoint: '::/64', evidence: { synRecv: HALF_OPEN / 2 } },
      ],
    });
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
    const root = sysDir({ 'net/core/somaxconn': '4096', 'net/ipv4/tcp_syncookies': '0', 'net/ipv4/tcp_tw_recycle': '1' });
    expect(withoutAdvice(await diagnose({ procRoot: `/proc/${fx.pid}/net`, sysRoot: root }))).toEqual([
      { id: 'tw-recycle-on', severity: 'critical', title: 'net.ipv4.tcp_tw_recycle is on', evidence: { tcpTwRecycle: 1 }, endpoints: [] },
      { id: 'syncookies-off', severity: 'warning', title: 'SYN cookies are off (net.ipv4.tcp_syncookies = 0)', evidence: { tcpSyncookies: 0 }, endpoints: [] },
    ]);
  });

  it('refuses a sysctl that is not an integer', async () => {
    const root = sysDir({ 'net/ipv4/tcp_syncookies': 'on' });
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

describe.skipIf(needs || !netlinkReady)('doctor over a duration, a listener flooded in between (skipped without netlink)', () => {
  let fx: Fixture<{ flood: number }>;
  beforeAll(async () => {
    fx = await startInNetns(['python3', FIXTURE, '--waiting']);
  });
  afterAll(() => fx?.stop());

  it('names the listener whose own drops grew, with the increase', () => {
    // Inside the namespace (netlink); the flood lands between the two samples, 3 s apart.
    const script = `
      import { spawn } from 'node:child_process';
      import { diagnose } from ${JSON.stringify(path.join(ROOT, 'dist/index.js'))};
      const pending = diagnose({ durationMs: 3000, source: 'netlink', unix: false });
      setTimeout(() => spawn('python3', [${JSON.stringify(path.join(ROOT, 'test/fixtures/flood.py'))}, '${fx.made.flood}', '10'], { stdio: 'ignore' }), 500);
      console.log(JSON.stringify((await pending).find((f) => f.id === 'listen-overflows')));`;
    const { advice, ...finding } = JSON.parse(fx.exec(process.execPath, ['--input-type=module', '-e', script])) as Finding;
    expect(finding).toEqual({
      id: 'listen-overflows',
      severity: 'critical',
      title: expect.stringMatching(/^Listen queues overflowed 8 times in 3\.\d s$/),
      evidence: { listenOverflows: 8, listenDrops: 8, seconds: expect.any(Number) },
      endpoints: [{ endpoint: `127.0.0.1:${fx.made.flood}`, evidence: { acceptQueue: 2, backlog: 1, synRecv: 0, dropsIncrease: 8 } }],
    });
    expect(advice).toMatch(/^Connections are being dropped now at the listeners below/);
  });
});

// UNIX listeners wherever TCP listeners appear: listenQueues({ unix: true }), `queues`, `doctor`
// (a full accept queue named by its path) and the Prometheus collector, on real sockets.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { diagnose, listenQueues, listenQueuesSync, unixSockets, unixSocketsSync } from '../../src/index.js';
import { registerSockscopeMetrics } from '../../src/metrics/prometheus.js';
import type { UnixListenQueue } from '../../src/unix-queues.js';
import { byName, valueOf } from '../helpers/metrics.js';
import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/unix_sockets.py');

interface Made {
  waiting: { path: string; inode: number };
  full: { path: string; inode: number };
  abstract: { path: string; inode: number };
}

/** The fixture in the caller's own namespace, so that in-process reads see it. */
async function startHere(dir: string): Promise<{ made: Made; stop(): Promise<void> }> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', [FIXTURE, dir], { stdio: 'pipe' });
  const [line] = (await once(readline.createInterface({ input: child.stdout }), 'line')) as [string];
  return {
    made: JSON.parse(line) as Made,
    async stop() {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

const expected = (m: Made): UnixListenQueue[] => [
  { proto: 'unix', type: 'stream', path: m.full.path, inode: m.full.inode, acceptQueue: 2, backlog: 1, full: true },
  { proto: 'unix', type: 'stream', path: m.waiting.path, inode: m.waiting.inode, acceptQueue: 2, backlog: 5, full: false },
];

describe.skipIf(!hasCommand('python3'))('UNIX listeners in the listen-queue API and the collector (skipped without python3)', () => {
  let dir: string;
  let fx: Awaited<ReturnType<typeof startHere>>;
  const mine = (ls: { proto: string; path?: string | null }[]) =>
    (ls.filter((l) => l.proto === 'unix' && l.path?.startsWith(dir)) as UnixListenQueue[]).sort((a, b) => (a.path! < b.path! ? -1 : 1));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-unixq-'));
    fx = await startHere(dir);
  });
  afterAll(async () => {
    await fx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listenQueues({ unix: true }) adds them after the TCP listeners, sync and async; without it there are none', async () => {
    expect(mine(await listenQueues({ unix: true }))).toEqual(expected(fx.made));
    expect(mine(listenQueuesSync({ unix: true, synRecv: true }))).toEqual(expected(fx.made));
    expect((await listenQueues()).some((l) => (l as { proto: string }).proto === 'unix')).toBe(false);
  });

  it('from /proc/net/unix they are listed with their queues unknown', async () => {
    expect(mine(await listenQueues({ unix: true, source: 'proc' }))).toEqual(
      expected(fx.made).map((l) => ({ ...l, acceptQueue: null, backlog: null, full: null })),
    );
  });

  it('unixSockets() and unixSocketsSync() read the same rows', async () => {
    const rows = (t: Awaited<ReturnType<typeof unixSockets>>) => t.toArray().filter((r) => r.path?.startsWith(dir));
    expect(rows(await unixSockets())).toEqual(rows(unixSocketsSync()));
    expect(rows(unixSocketsSync()).length).toBe(3);
  });

  it('diagnose() names the full UNIX listener by its path, and not with unix: false', async () => {
    const f = (await diagnose()).find((x) => x.id === 'unix-accept-queue-full');
    expect(f?.severity).toBe('critical');
    expect(f?.endpoints.find((e) => e.endpoint === fx.made.full.path)).toEqual({ endpoint: fx.made.full.path, evidence: { acceptQueue: 2, backlog: 1 } });
    expect(f?.endpoints.some((e) => e.endpoint === fx.made.waiting.path)).toBe(false);
    expect((await diagnose({ unix: false })).some((x) => x.id === 'unix-accept-queue-full')).toBe(false);
  });

  it('the collector exports one accept-queue and one backlog series per UNIX listener path with unix: true', async () => {
    const registry = new Registry();
    registerSockscopeMetrics(registry, { unix: true });
    const m = byName(await registry.getMetricsAsJSON());
    expect(valueOf(m, 'sockscope_unix_listener_accept_queue', { path: fx.made.full.path })).toBe(2);
    expect(valueOf(m, 'sockscope_unix_listener_backlog', { path: fx.made.full.path })).toBe(1);
    expect(valueOf(m, 'sockscope_unix_listener_backlog', { path: fx.made.waiting.path })).toBe(5);
    expect(valueOf(m, 'sockscope_unix_listener_accept_queue', { path: '@sockscope@seq' })).toBe(1);
    expect(valueOf(m, 'sockscope_scrape_collector_success', { collector: 'unix' })).toBe(1);
    const bounded = new Registry();
    registerSockscopeMetrics(bounded, { unix: true, maxListeners: 0 });
    const b = byName(await bounded.getMetricsAsJSON());
    expect(b.get('sockscope_unix_listener_accept_queue')).toEqual([]);
    expect(valueOf(b, 'sockscope_unix_listeners_omitted')).toBe(m.get('sockscope_unix_listener_backlog')!.length);
    const plain = new Registry();
    registerSockscopeMetrics(plain);
    expect(byName(await plain.getMetricsAsJSON()).has('sockscope_unix_listener_accept_queue')).toBe(false);
  });
});

describe.skipIf(!HAS_NETNS || !hasCommand('python3'))('sockscope queues and doctor name the full UNIX listener (skipped without a private namespace or python3)', () => {
  let fx: Fixture<Made>;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-unixq-'));
    fx = await startInNetns(['python3', FIXTURE, dir]);
  });
  afterAll(async () => {
    await fx?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('queues lists the UNIX listeners with their path, accept queue, backlog and Full', () => {
    const r = cli(['queues'], fx);
    expect(r.status, r.stderr).toBe(0);
    const line = (p: string) => r.stdout.split('\n').find((l) => l.startsWith(`${p} `))!.split(/\s+/);
    expect(line(fx.made.full.path)).toEqual([fx.made.full.path, '2', '1', '-', '-', 'yes']);
    expect(line(fx.made.waiting.path)).toEqual([fx.made.waiting.path, '2', '5', '-', '-', 'no']);
    expect(line('@sockscope@seq')).toEqual(['@sockscope@seq', '1', '4', '-', '-', 'no']);
    const json = JSON.parse(cli(['queues', '--json'], fx).stdout) as { listeners: { proto: string }[] };
    expect(json.listeners.filter((l) => l.proto === 'unix').length).toBe(3);
  });

  it('doctor names it, critical, with its accept queue and backlog', () => {
    const r = cli(['doctor'], fx);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CRITICAL unix-accept-queue-full: Accept queue full on UNIX listener ${fx.made.full.path}\n`);
    expect(r.stdout).toContain(`  ${fx.made.full.path} acceptQueue=2 backlog=1\n`);
  });
});

// `sockscope serve`: /metrics on loopback with the collector's figures, still answering when reads fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TCP_STATES } from '../dist/index.js';
import { listenerLabels, parseExposition, ssRows, valueOf } from './helpers/metrics.js';
import { CLI, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from './helpers/netns.js';
import { countBy, parseSs } from './helpers/peers.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');

interface Served {
  url: string;
  child: ChildProcess;
  /** stderr lines after the "serving" one. */
  log: string[];
  stop(): Promise<number | null>;
}

/** Starts `sockscope serve --port 0 ARGS` and waits for the line that says where it serves. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = readline.createInterface({ input: child.stderr! });
  const log: string[] = [];
  const [first] = (await once(lines, 'line')) as [string];
  lines.on('line', (l) => log.push(l));
  const url = /^sockscope: serving metrics on (http:\S+)$/.exec(first)?.[1];
  if (!url) throw new Error(`serve said: ${first}`);
  return {
    url,
    child,
    log,
    async stop() {
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      return ((await exit) as [number | null])[0];
    },
  };
}

async function scrape(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), metrics: parseExposition(await res.text()) };
}

describe('sockscope serve', () => {
  it('serves the figures on loopback /metrics, 404 elsewhere, and exits 0 on SIGTERM', async () => {
    const s = await serve(['--proc-root', recorded]);
    try {
      expect(new URL(s.url).hostname).toBe('127.0.0.1');
      expect(new URL(s.url).pathname).toBe('/metrics');
      const { status, type, metrics } = await scrape(s.url);
      expect(status).toBe(200);
      expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
      const counts = countBy(parseSs(readFileSync(path.join(recorded, 'ss-tan.txt'), 'utf8')));
      for (const state of TCP_STATES) {
        expect(valueOf(metrics, 'sockscope_tcp_connection_states', { state: state.toLowerCase() }), state).toBe(counts[state] ?? 0);
      }
      expect((await fetch(new URL('/', s.url))).status).toBe(404);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('keeps answering 200 when every read fails, reporting the failures as metrics and logging each once', async () => {
    const s = await serve(['--proc-root', '/nonexistent-sockscope']);
    try {
      for (let i = 0; i < 2; i++) {
        const { status, metrics } = await scrape(s.url);
        expect(status).toBe(200);
        expect(metrics.get('sockscope_scrape_collector_success')).toEqual([
          { labels: { collector: 'sockets' }, value: 0 },
          { labels: { collector: 'netstat' }, value: 0 },
        ]);
        expect(metrics.get('sockscope_tcp_connection_states')).toBeUndefined();
      }
    } finally {
      await s.stop();
    }
    // The two collectors read at once, so their first failures may be logged in either order.
    expect([...s.log].sort()).toEqual([
      'sockscope serve: netstat read failed: open /nonexistent-sockscope/netstat: No such file or directory',
      'sockscope serve: sockets read failed: open /nonexistent-sockscope/tcp: No such file or directory',
    ]);
  });

  it('exits 1, saying how to install it, when prom-client is not installed', () => {
    // A copy of the package with no node_modules beside it: prom-client cannot be found.
    const dir = mkdtempSync(path.join(tmpdir(), 'sockscope-noprom-'));
    try {
      cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      const r = spawnSync(process.execPath, [path.join(dir, 'dist/cli/index.js'), 'serve'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('sockscope: serve needs prom-client, an optional peer dependency: install it with `npm install prom-client`\n');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('rejects a bad --port as bad usage', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve', '--port', '70000'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('sockscope: --port takes 0 to 65535, not "70000"');
  });
});

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'sockscope serve over a namespace holding every TCP state (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<unknown>;
    beforeAll(async () => {
      fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/all_states.py')]);
    });
    afterAll(() => fx?.stop());

    it("answers with ss's per-state counts and listener Recv-Q", async () => {
      const s = await serve(['--proc-root', `/proc/${fx.pid}/net`]);
      try {
        const ss = ssRows(fx);
        const { metrics } = await scrape(s.url);
        const counts = countBy(ss);
        for (const state of TCP_STATES) {
          expect(valueOf(metrics, 'sockscope_tcp_connection_states', { state: state.toLowerCase() }), state).toBe(counts[state] ?? 0);
        }
        const listeners = ss.filter((r) => r.state === 'LISTEN');
        expect(metrics.get('sockscope_tcp_listener_accept_queue')).toHaveLength(listeners.length);
        for (const l of listeners) {
          expect(valueOf(metrics, 'sockscope_tcp_listener_accept_queue', listenerLabels(l.local)), l.local).toBe(l.recvQ);
        }
      } finally {
        await s.stop();
      }
    });
  },
);

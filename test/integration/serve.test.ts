// `sockscope serve`: /metrics on loopback with the collector's figures, still answering when reads fail.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { TCP_STATES } from '../../src/index.js';
import { valueOf } from '../helpers/metrics.js';
import { CLI, PACKAGE, ROOT } from '../helpers/netns.js';
import { countBy, parseSs } from '../helpers/peers.js';
import { scrape, serve } from '../helpers/serve.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');

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
      const build = path.dirname(path.join(ROOT, PACKAGE.main));
      cpSync(build, path.join(dir, path.relative(ROOT, build)), { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      const r = spawnSync(process.execPath, [path.join(dir, PACKAGE.bin.sockscope), 'serve'], { encoding: 'utf8' });
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

// The CLI: output shapes, exit codes 0 (done), 1 (a read failed), 2 (bad usage).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { cli } from '../helpers/netns.js';
import { countBy, parseSs } from '../helpers/peers.js';

const recorded = path.join(__dirname, '../fixtures/proc/recorded');
const ssText = fs.readFileSync(path.join(recorded, 'ss-tan.txt'), 'utf8');
const ssLines = ssText.trim().split('\n');
const ssCounts = countBy(parseSs(ssText));
const ipv4Rows = fs.readFileSync(path.join(recorded, 'tcp'), 'utf8').trim().split('\n').length - 1;

describe('sockscope states', () => {
  it('prints counts as uniq -c does: non-zero states, sorted by name', () => {
    const r = cli(['states', '--proc-root', recorded]);
    expect(r.status).toBe(0);
    const expected = Object.keys(ssCounts).sort().map((s) => `${String(ssCounts[s]).padStart(7)} ${s}\n`);
    expect(r.stdout).toBe(expected.join(''));
  });

  it('prints every state with zeros and the total as --json, IPv4 only with -4', () => {
    const all = JSON.parse(cli(['states', '--json', '--proc-root', recorded]).stdout);
    expect(all.total).toBe(ssLines.length);
    expect(all.CLOSE).toBe(0);
    const v4 = JSON.parse(cli(['states', '-4', '--json', '--proc-root', recorded]).stdout);
    expect(v4.total).toBe(ipv4Rows);
  });
});

describe('sockscope list', () => {
  it('leaves listeners out by default, as ss does, and keeps only them with -l', () => {
    const conn = JSON.parse(cli(['list', '--json', '--proc-root', recorded]).stdout) as { state: string }[];
    expect(conn.some((r) => ['LISTEN', 'TIME_WAIT', 'SYN_RECV'].includes(r.state))).toBe(false);
    expect(conn.length).toBe(ssLines.filter((l) => !/^(LISTEN|TIME-WAIT|SYN-RECV)/.test(l)).length);
    const listeners = JSON.parse(cli(['list', '-l', '--json', '--proc-root', recorded]).stdout) as { state: string }[];
    expect(listeners.length).toBe(ssCounts.LISTEN);
    expect(listeners.every((r) => r.state === 'LISTEN')).toBe(true);
  });

  it('prints one JSON object a line with --ndjson, with the documented keys', () => {
    const lines = cli(['list', '-a', '--ndjson', '--proc-root', recorded]).stdout.trim().split('\n');
    expect(lines).toHaveLength(ssLines.length);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual([
      'proto', 'state', 'localAddress', 'localPort', 'remoteAddress', 'remotePort', 'recvQ', 'sendQ', 'uid', 'inode',
    ]);
  });

  it('filters by --state, in netstat or ss spelling', () => {
    const rows = JSON.parse(cli(['list', '--state', 'fin-wait-2', '--state', 'LAST_ACK', '--json', '--proc-root', recorded]).stdout);
    const states = rows.map((r: { state: string }) => r.state).sort();
    expect(states).toEqual([...Array(ssCounts.FIN_WAIT2).fill('FIN_WAIT2'), ...Array(ssCounts.LAST_ACK).fill('LAST_ACK')]);
  });

  it('prints a table like ss -tan', () => {
    const out = cli(['list', '-a', '-4', '--proc-root', recorded]).stdout.split('\n');
    expect(out[0]).toMatch(/^State\s+Recv-Q\s+Send-Q Local Address:Port\s+Peer Address:Port$/);
    expect(out).toContain(out.find((l) => /^LISTEN\s+3\s+0 127\.0\.0\.1:\d+\s+0\.0\.0\.0:\*$/.test(l)));
  });
});

describe('exit codes', () => {
  it('exits 2 with a one-line message and a hint to --help on bad usage', () => {
    for (const args of [['bogus'], ['list', '--nope'], ['list', '-l', '-a'], ['states', '--source', 'x'], ['list', '--state', 'ESTABLISH']]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(/^sockscope: /);
      expect(lines.slice(1)).toEqual(["Try 'sockscope --help' for more information.", '']);
      expect(r.stdout).toBe('');
    }
  });

  it('exits 1 when a read fails, with the errno code in the message', () => {
    const r = cli(['states', '--proc-root', '/nonexistent-sockscope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('sockscope: open /nonexistent-sockscope/tcp: No such file or directory (ENOENT)\n');
  });

  it('prints the state counts and the listeners when run alone', () => {
    const r = cli(['--proc-root', recorded]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^TCP sockets by state \\(${ssLines.length} in all\\):\\n`));
    expect(r.stdout).toContain('\nListening:\nLocal Address:Port');
    expect(r.stdout.match(/^\S+:\d+\s+\d+\s+-$/gm)).toHaveLength(ssCounts.LISTEN!);
  });
});

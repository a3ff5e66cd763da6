// unixSockets() options and the /proc/net/unix source on recorded and hostile files: checked in
// TS before native runs, and parsed with exact rows or an exact error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { SockscopeError, unixSockets, unixSocketsSync } from '../../src/index.js';
import { unixListenQueuesSync } from '../../src/unix-queues.js';
import { cli, ROOT } from '../helpers/netns.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/unix-listeners');
const dirs: string[] = [];
function procDir(unix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-unixproc-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'unix'), unix);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('unixSockets options', () => {
  it('rejects bad options before any read, in the library\'s message shape', () => {
    expect(() => unixSocketsSync({ state: ['LISTEN'] } as object)).toThrow(
      new TypeError('Unknown option "state" for unixSocketsSync(); did you mean "states"?. Known options: states, source, procRoot, netns, processes, processRoot'),
    );
    expect(() => unixSocketsSync({ states: ['LISTENING'] } as never)).toThrow(RangeError);
    expect(() => unixSocketsSync({ states: ['LISTENING'] } as never)).toThrow(/^Expected one of "ESTAB", .* for states\[0\] but received "LISTENING" of type string$/);
    expect(() => unixSocketsSync({ source: 'netlink', procRoot: recorded })).toThrow(
      new RangeError('procRoot reads /proc text tables, so it cannot be combined with source "netlink"'),
    );
    expect(() => unixSocketsSync({ processes: 'yes' } as never)).toThrow(new TypeError('Expected a boolean for processes but received "yes" of type string'));
    expect(() => unixSocketsSync({ netns: '/x', procRoot: recorded })).toThrow(new RangeError('netns and procRoot both say where to read: give one of them'));
  });
});

describe('the /proc/net/unix source', () => {
  it('reads a recorded file: ss\'s states, names, and nothing it cannot know', async () => {
    const t = await unixSockets({ procRoot: recorded });
    expect(t.source).toBe('proc');
    expect(t.toArray().map((r) => [r.type, r.state, r.path, r.inode])).toEqual([
      ['stream', 'UNCONN', null, 233113],
      ['stream', 'SYN-SENT', '/run/php/fpm.sock', 0],
      ['stream', 'LISTEN', '/run/php/fpm.sock', 233107],
      ['stream', 'ESTAB', null, 233109],
      ['dgram', 'ESTAB', '/run/systemd/notify', 233117],
      ['seqpacket', 'LISTEN', '@sockscope@seq', 233114],
      ['stream', 'CLOSING', '/tmp/with space', 1125],
    ]);
    expect(t.get(2)).toEqual({ type: 'stream', state: 'LISTEN', path: '/run/php/fpm.sock', inode: 233107, peerInode: null, recvQ: null, sendQ: null, uid: null });
    expect(Array.from(t.columns.uid).every(Number.isNaN)).toBe(true);
    expect(unixSocketsSync({ procRoot: recorded, states: ['LISTEN'] }).length).toBe(2);
  });

  it('lists its listeners with their queues unknown', () => {
    expect(unixListenQueuesSync({ procRoot: recorded }).map((l) => [l.path, l.acceptQueue, l.backlog, l.full])).toEqual([
      ['/run/php/fpm.sock', null, null, null],
      ['@sockscope@seq', null, null, null],
    ]);
    expect(unixListenQueuesSync({ procRoot: path.join(ROOT, 'test/fixtures/proc/recorded') })).toEqual([]);
  });

  it('fails on a hostile file with ERR_PROC_PARSE naming the file and line, sync and async', async () => {
    const dir = procDir('Num RefCount\n0000: 00000002 00000000 00010000 0001 01 12 /a\n0000: 2 0 0 1 07 13\n');
    const error = new SockscopeError(`${dir}/unix:3: socket state 7 unknown`, 'ERR_PROC_PARSE');
    expect(() => unixSocketsSync({ procRoot: dir })).toThrow(error);
    await expect(unixSockets({ procRoot: dir })).rejects.toMatchObject({ code: 'ERR_PROC_PARSE', message: error.message });
    const cut = procDir('Num RefCount\n0000: 00000002 00000000 00010000 0001 01 12 /a');
    expect(() => unixSocketsSync({ procRoot: cut })).toThrow(`${cut}/unix:2: line without a newline (a cut file)`);
    try {
      unixSocketsSync({ procRoot: '/nonexistent-sockscope' });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ name: 'SockscopeError', code: 'ENOENT', errno: -2, syscall: 'open', message: 'open /nonexistent-sockscope/unix: No such file or directory' });
    }
  });

  it('list -x prints it as ss -x, unknown queues and peers as -', () => {
    const r = cli(['list', '-x', '-a', '--proc-root', recorded]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      'Netid State    Recv-Q Send-Q Local Address:Port         Peer Address:Port',
      'u_str UNCONN        -      - * 233113                   * -',
      'u_str SYN-SENT      -      - /run/php/fpm.sock 0        * -',
      'u_str LISTEN        -      - /run/php/fpm.sock 233107   * -',
    ]);
    const bad = cli(['list', '-x', '-t']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('sockscope: --tcp does not apply to UNIX sockets (-x)');
    expect(cli(['list', '-x', '--state', 'bogus']).stderr.split('\n')[0]).toBe(
      'sockscope: unknown state "bogus"; states: ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, UNCONN, CLOSE-WAIT, LAST-ACK, LISTEN, CLOSING',
    );
  });
});

// The replay seam: a netlink dump recorded with `recordFile` (or `list --record`) and fed back
// through SOCKSCOPE_NETLINK_FILE reads as the live dump did; hostile recordings give an error
// with a code, never a crash, a half table or a leaked fd.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { countStatesSync, snapshot, snapshotSync, SockscopeError } from '../../src/index.js';
import { cli, ROOT } from '../helpers/netns.js';
import { netlinkReady } from '../helpers/netlink.js';
import { connectedPair, type Pair } from '../helpers/sockets.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-replay-'));
const openFds = () => fs.readdirSync('/proc/self/fd').length;
const replaying = (file: string) => (process.env.SOCKSCOPE_NETLINK_FILE = file);
afterEach(() => delete process.env.SOCKSCOPE_NETLINK_FILE);
afterAll(() => fs.rmSync(dir, { recursive: true }));

describe.skipIf(!netlinkReady)('recording and replaying a live dump (skipped: netlink unavailable)', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await connectedPair('::1');
  });
  afterAll(() => pair.close());

  it('replays to the same table, rows and counts, sync and async', async () => {
    const file = path.join(dir, 'live.bin');
    const live = snapshotSync({ protocols: ['tcp', 'tcp6', 'udp', 'udp6'], info: true, memory: true, recordFile: file });
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    replaying(file);
    const again = snapshotSync({ protocols: ['tcp', 'tcp6', 'udp', 'udp6'], info: true, memory: true });
    expect(again.source).toBe('netlink');
    expect(again.toArray()).toEqual(live.toArray());
    expect((await snapshot({ protocols: ['tcp', 'tcp6', 'udp', 'udp6'] })).length).toBe(live.length);
    const counts = countStatesSync({ protocols: ['tcp', 'tcp6', 'udp', 'udp6'] });
    expect(counts.total).toBe(live.length);
    expect(counts.ESTABLISHED).toBe(live.toArray().filter((r) => r.state === 'ESTABLISHED').length);
  });

  it('records from the CLI: list --record FILE, replayed with the environment variable', () => {
    const file = path.join(dir, 'cli.bin');
    const live = cli(['list', '-a', '--record', file]);
    expect(live.status).toBe(0);
    const replayed = cli(['list', '-a'], undefined, { SOCKSCOPE_NETLINK_FILE: file });
    expect(replayed.status).toBe(0);
    expect(replayed.stdout).toBe(live.stdout);
  });
});

describe('hostile recordings', () => {
  const fixture = fs.readFileSync(path.join(ROOT, 'test/fixtures/netlink/tcp.bin'));
  const CODES = ['ERR_NETLINK_PARSE', 'EBADMSG', 'ERR_NETLINK_TRUNCATED'];

  function readAs(bytes: Buffer, name: string) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    replaying(file);
    try {
      const t = snapshotSync({ info: true, memory: true });
      for (const [k, col] of Object.entries(t.columns)) {
        if (ArrayBuffer.isView(col)) expect((col as Uint8Array).length, k).toBe(k.endsWith('Address') ? 16 * t.length : t.length);
      }
      return 'table';
    } catch (err) {
      expect(err).toBeInstanceOf(SockscopeError);
      return (err as SockscopeError).code;
    }
  }

  it('reads the recorded fixture whole', () => {
    expect(readAs(fixture, 'whole.bin')).toBe('table');
  });

  it('gives an error with a code, never a crash or a half table, for every truncation and many bit flips', () => {
    const before = openFds();
    const seen = new Set<string>();
    for (let cut = 1; cut < fixture.length; cut += 13) seen.add(readAs(fixture.subarray(0, cut), 'cut.bin'));
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(fixture);
      b[next() % b.length] ^= 1 << (next() % 8);
      seen.add(readAs(b, 'flip.bin'));
    }
    for (const code of seen) expect(['table', ...CODES]).toContain(code);
    expect(seen.has('ERR_NETLINK_PARSE')).toBe(true);
    expect(openFds()).toBe(before);
  });

  it('reports a missing recording as ENOENT rather than falling back to /proc', () => {
    replaying(path.join(dir, 'missing.bin'));
    expect(() => snapshotSync()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => countStatesSync()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

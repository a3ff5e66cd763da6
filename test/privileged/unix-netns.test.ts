// UNIX sockets are listed per network namespace: unix_diag and /proc/net/unix both list the
// sockets of the reader's namespace (sock_net), whatever filesystem their paths live in. A read
// with `netns` joins the namespace (setns, root) and lists the fixture's sockets, and the
// caller's own read does not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { unixSockets, unixSocketsSync } from '../../src/index.js';
import { HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';

interface Made {
  full: { path: string; inode: number };
  pair: [number, number];
}

describe.skipIf(!HAS_NETNS || process.getuid?.() !== 0 || !hasCommand('python3'))(
  'UNIX sockets of another namespace (root in a private namespace, python3)',
  () => {
    let fx: Fixture<Made>;
    let dir: string;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-unixns-'));
      fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/unix_sockets.py'), dir]);
    });
    afterAll(async () => {
      await fx?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('netns: the namespace file joins it and lists its 16 sockets, over netlink and /proc alike', async () => {
      const netns = `/proc/${fx.pid}/ns/net`;
      const t = await unixSockets({ netns, source: 'netlink', processes: true });
      expect(t.source).toBe('netlink');
      expect(t.length).toBe(16);
      const full = t.toArray().find((r) => r.inode === fx.made.full.inode)!;
      expect(full).toMatchObject({ state: 'LISTEN', path: fx.made.full.path, recvQ: 2, sendQ: 1 });
      expect(full.owners!.map((o) => o.pid)).toEqual([fx.pid]);
      const proc = unixSocketsSync({ netns, source: 'proc' });
      expect(proc.source).toBe('proc');
      expect(proc.toArray().filter((r) => r.inode !== 0).map((r) => r.inode).sort()).toEqual(t.toArray().map((r) => r.inode).sort());
      expect(unixSocketsSync({ netns: { pid: fx.pid } }).length).toBe(proc.length); // /proc/PID/net
    });

    it('the caller\'s own namespace does not list them, though their paths are in its filesystem', () => {
      const own = unixSocketsSync().toArray();
      expect(own.some((r) => r.path === fx.made.full.path || fx.made.pair.includes(r.inode))).toBe(false);
      expect(fs.existsSync(fx.made.full.path)).toBe(true);
    });
  },
);

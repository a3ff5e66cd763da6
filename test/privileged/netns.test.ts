// netns: a namespace made by the test, read from outside it by path (setns on a native thread)
// and by pid (/proc/PID/net); the calling threads never change namespace.
import { execFileSync, spawnSync } from 'node:child_process';
import fs, { existsSync, readlinkSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { binding } from '../../src/binding.js';
import { countStates, countStatesSync, snapshot, snapshotSync, TCP_STATES } from '../../src/index.js';
import { toNativeRequest } from '../../src/options.js';
import { toStateCounts } from '../../src/states.js';
import { ATTEMPT, inChild } from '../helpers/child.js';
import { ALL_STATES, cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { countBy, endpointKey, parseSs, type PeerRow } from '../helpers/peers.js';
import { connectedPair, type Pair } from '../helpers/sockets.js';

const DIR = '/var/run/netns';
const NAME = `sockscope-test-${process.pid}`;
const PATH = `${DIR}/${NAME}`;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

describe.skipIf(!HAS_NETNS || !hasCommand('ip') || !hasCommand('ss') || !hasCommand('python3'))(
  'another namespace, by path and by pid (skipped without a private namespace, ip, ss or python3)',
  () => {
    let fx: Fixture<unknown>;
    let ss: PeerRow[];
    let pair: Pair; // a socket of our own namespace, which the namespace read must not see
    const hadDir = existsSync(DIR);
    beforeAll(async () => {
      fx = await startInNetns(ALL_STATES);
      ip('netns', 'attach', NAME, String(fx.pid)); // names the fixture's namespace: /var/run/netns/NAME
      ss = parseSs(fx.exec('ss', ['-tanH']));
      pair = await connectedPair();
    });
    afterAll(async () => {
      spawnSync('ip', ['netns', 'del', NAME]);
      if (!hadDir) {
        // ip made the directory, and bind-mounted it on itself (shared propagation): undo both.
        spawnSync('umount', [DIR]);
        rmdirSync(DIR);
      }
      await pair?.close();
      await fx?.stop();
    });

    const expected = () => ({ ...Object.fromEntries(TCP_STATES.map((s) => [s, 0])), ...countBy(ss), total: ss.length });
    const sameSockets = (rows: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number; state: string }[]) => {
      const key = (l: string, r: string) => `${l} ${r}`;
      const bySs = new Map(ss.map((s) => [key(s.local, s.remote), s.state]));
      expect(rows).toHaveLength(ss.length);
      for (const r of rows) {
        const k = key(endpointKey(r.localAddress, r.localPort), endpointKey(r.remoteAddress, r.remotePort));
        expect(bySs.get(k), k).toBe(r.state);
      }
    };

    for (const source of ['netlink', 'proc'] as const) {
      for (const [how, netns] of [
        ['by path', PATH],
        ['by pid', 'pid'],
      ] as const) {
        it(`reads every socket and count ${how} over ${source}, sync and async`, async () => {
          const opts = { source, netns: netns === 'pid' ? { pid: fx.pid } : netns };
          const table = snapshotSync(opts);
          expect(table.source).toBe(source);
          sameSockets(table.toArray());
          sameSockets((await snapshot(opts)).toArray());
          expect(countStatesSync(opts)).toEqual(expected());
          expect(await countStates(opts)).toEqual(expected());
        });
      }
    }

    it('counts ESTABLISHED from that namespace\'s own counter once a full count there agreed', async () => {
      // This suite's namespace holds other sockets: a counter read in the wrong one would show.
      const count = () => binding().count(toNativeRequest({ netns: PATH }, 'countStatesSync'));
      let c = count();
      for (let i = 0; i < 20 && !c.dump!.establishedCounter; i++) c = count();
      expect(c.dump!.establishedCounter, 'trusted after a quiet full count').toBe(true);
      expect(c.dump!.partitions).toBe(1);
      expect(toStateCounts(c.counts)).toEqual(expected());
      expect(expected().CLOSE_WAIT).toBeGreaterThan(0); // which the counter holds too since Linux 6.10
      expect(await countStates({ netns: PATH })).toEqual(expected());
    });

    it('gives a listener\'s backlog from another namespace over netlink', () => {
      const listeners = snapshotSync({ source: 'netlink', netns: PATH, states: ['LISTEN'] }).toArray();
      const fromSs = new Map(ss.filter((s) => s.state === 'LISTEN').map((s) => [s.local, s.sendQ]));
      expect(listeners.length).toBe(fromSs.size);
      for (const r of listeners) expect(r.sendQ).toBe(fromSs.get(endpointKey(r.localAddress, r.localPort)));
    });

    it('never moves the calling thread or the threadpool threads into the namespace', async () => {
      const mine = readlinkSync('/proc/thread-self/ns/net');
      // Our connection by both ports: the namespace's own sockets may reuse one port number.
      const [ownPort, peerPort] = [pair.client.localPort!, pair.client.remotePort!];
      const hasOurs = (t: { toArray(): { localPort: number; remotePort: number }[] }) =>
        t.toArray().some((r) => r.localPort === ownPort && r.remotePort === peerPort);
      // Alternate reads inside and outside, more than the threadpool has threads.
      const reads = await Promise.all(Array.from({ length: 16 }, (_, i) => snapshot(i % 2 ? { netns: PATH } : {})));
      for (const [i, t] of reads.entries()) {
        expect(hasOurs(t), `read ${i}`).toBe(i % 2 === 0);
        if (i % 2) expect(t.length, `read ${i}: the namespace's sockets`).toBe(ss.length);
      }
      snapshotSync({ netns: PATH });
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(mine);
      expect(hasOurs(snapshotSync())).toBe(true);
    });

    it('sockscope -N NAME reads the named namespace, as ip netns names it', () => {
      const r = cli(['states', '-N', NAME, '--json']);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(expected());
    });

    it.skipIf(!hasCommand('setpriv'))('fails with a clear EPERM without the privilege to join', () => {
      const script = `import('sockscope').then((m) => {
        try { m.snapshotSync({ netns: ${JSON.stringify(PATH)} }); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
      });`;
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { cwd: ROOT, encoding: 'utf8' });
      expect(JSON.parse(r.stdout)).toEqual({
        code: 'EPERM',
        message: `setns ${PATH}: Operation not permitted (joining a network namespace needs CAP_SYS_ADMIN)`,
      });
    });
  },
);

describe('netns option', () => {
  it('rejects bad values before anything native runs', () => {
    expect(() => snapshotSync({ netns: { pid: -1 } })).toThrow(new RangeError('Expected a positive integer for netns.pid but received -1 of type number'));
    expect(() => snapshotSync({ netns: { pd: 1 } } as never)).toThrow(/^Unknown option "pd" for netns\(\); did you mean "pid"\?/);
    expect(() => snapshotSync({ netns: 7 } as never)).toThrow(new TypeError('Expected a namespace file path or { pid } for netns but received 7 of type number'));
    expect(() => snapshotSync({ netns: '/x', procRoot: '/y' })).toThrow(new RangeError('netns and procRoot both say where to read: give one of them'));
  });

  it('names the namespace file it could not open', () => {
    expect(() => snapshotSync({ netns: '/nonexistent-sockscope' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'open', message: 'open /nonexistent-sockscope: No such file or directory' }),
    );
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a FIFO or a plain file as the namespace with EINVAL from setns, and does not block on it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-netns-'));
    try {
      execFileSync('mkfifo', [path.join(dir, 'fifo')]);
      fs.writeFileSync(path.join(dir, 'file'), '');
      for (const file of ['fifo', 'file']) {
        const o = JSON.stringify({ netns: path.join(dir, file) });
        const out = inChild(`${ATTEMPT} return [await attempt(() => s.snapshotSync(${o})), await attempt(() => s.countStates(${o}))];`);
        const expected = { code: 'EINVAL', errno: -22, message: `setns ${dir}/${file}: Invalid argument` };
        expect(out).toEqual([expected, expected]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

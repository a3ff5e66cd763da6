// listenQueues against ss in a private namespace: accept queues, backlogs (netlink), half-open
// counts per listener, and `sockscope queues --json`.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listenQueues, listenQueuesSync, type ListenQueue } from '../../src/index.js';
import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { netlinkReady } from '../helpers/netlink.js';
import { endpointKey, parseSs } from '../helpers/peers.js';

interface Made {
  flood: number;
  waiting: { v4: number; v6: number };
  defer4: number;
  dual: number;
}

const HALF_OPEN = 6;
const byPort = (a: ListenQueue, b: ListenQueue) => a.localPort - b.localPort;

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'listen queues in a private namespace (skipped without one, ss or python3)',
  () => {
    let fx: Fixture<Made>;
    let procRoot: string;

    /** What the fixture made, as listenQueues must report it from `source`. */
    function expected(source: 'proc' | 'netlink', synRecv: boolean): ListenQueue[] {
      const { waiting, flood, defer4, dual } = fx.made;
      const row = (proto: 'tcp' | 'tcp6', localAddress: string, localPort: number, acceptQueue: number, backlog: number, half: number): ListenQueue => ({
        proto, localAddress, localPort, acceptQueue,
        backlog: source === 'netlink' ? backlog : null,
        full: source === 'netlink' ? acceptQueue > backlog : null,
        ...(synRecv && { synRecv: half }),
      });
      return [
        row('tcp', '127.0.0.1', flood, 0, 1, 0),
        row('tcp', '127.0.0.1', waiting.v4, 3, 8, 0),
        row('tcp6', '::1', waiting.v6, 3, 8, 0),
        row('tcp', '0.0.0.0', defer4, 0, 128, HALF_OPEN),
        row('tcp6', '::', dual, 0, 128, HALF_OPEN),
      ].sort(byPort);
    }

    beforeAll(async () => {
      fx = await startInNetns<Made>(['python3', path.join(ROOT, 'test/fixtures/listen_pressure.py'), '--waiting', '--half-open', String(HALF_OPEN)]);
      procRoot = `/proc/${fx.pid}/net`;
    });
    afterAll(() => fx?.stop());

    it('shows each listener with its accept queue, as ss -ltn shows Recv-Q', async () => {
      const ss = parseSs(fx.exec('ss', ['-ltnH']));
      const listeners = (await listenQueues({ procRoot })).sort(byPort);
      expect(listeners).toEqual(expected('proc', false));
      expect(listeners.map((l) => [endpointKey(l.localAddress, l.localPort), l.acceptQueue])).toEqual(
        ss.map((s) => [s.local, s.recvQ]).sort((a, b) => Number(String(a[0]).split(':').pop()) - Number(String(b[0]).split(':').pop())),
      );
    });

    it('counts half-open connections per listener: wildcard, IPv4-mapped on a dual-stack ::, IPv6', () => {
      const listeners = listenQueuesSync({ procRoot, synRecv: true }).sort(byPort);
      expect(listeners).toEqual(expected('proc', true));
      const ssHalfOpen = parseSs(fx.exec('ss', ['-tanH'])).filter((s) => s.state === 'SYN_RECV');
      expect(ssHalfOpen).toHaveLength(2 * HALF_OPEN);
      expect(ssHalfOpen.filter((s) => s.local.startsWith('::ffff:127.0.0.1:'))).toHaveLength(HALF_OPEN / 2);
    });

    it('reads one family with protocols', () => {
      expect(listenQueuesSync({ procRoot, protocols: ['tcp6'], synRecv: true }).sort(byPort)).toEqual(
        expected('proc', true).filter((l) => l.proto === 'tcp6'),
      );
    });

    it('sockscope queues --json shows the same listeners and the overflow counters', () => {
      const r = cli(['queues', '--json'], fx);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { listeners: ListenQueue[]; counters: Record<string, number> };
      expect(out.listeners.sort(byPort)).toEqual(expected(netlinkReady ? 'netlink' : 'proc', true));
      expect(out.counters).toEqual({ listenOverflows: 0, listenDrops: 0, syncookiesSent: 0, reqQFullDrop: 0 });
    });

    it.skipIf(!netlinkReady)('gives each backlog as ss -ltn shows Send-Q (netlink)', () => {
      const ss = parseSs(fx.exec('ss', ['-ltnH']));
      const out = JSON.parse(cli(['queues', '--json', '--source', 'netlink'], fx).stdout) as { listeners: ListenQueue[] };
      for (const l of out.listeners) {
        const peer = ss.find((s) => s.local === endpointKey(l.localAddress, l.localPort));
        expect(l.backlog, `${l.localAddress}:${l.localPort}`).toBe(peer!.sendQ);
      }
      expect(out.listeners.sort(byPort)).toEqual(expected('netlink', true));
    });
  },
);

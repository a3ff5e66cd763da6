// A table recorded in a namespace with every state, read back and compared with ss's recording.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { snapshotSync, countStatesSync } from '../../src/index.js';
import { countBy, endpointKey, parseSs } from '../helpers/peers.js';

const dir = path.join(__dirname, '../fixtures/proc/recorded');

describe('a recorded table', () => {
  const ss = parseSs(fs.readFileSync(path.join(dir, 'ss-tan.txt'), 'utf8'));
  const table = snapshotSync({ procRoot: dir });

  it('holds the same sockets, states and Recv-Q as ss printed', () => {
    expect(table.length).toBe(ss.length);
    const bySs = new Map(ss.map((s) => [`${s.local} ${s.remote}`, s]));
    for (const row of table) {
      const k = `${endpointKey(row.localAddress, row.localPort)} ${endpointKey(row.remoteAddress, row.remotePort)}`;
      expect(bySs.get(k)?.state, k).toBe(row.state);
      expect(bySs.get(k)?.recvQ, k).toBe(row.recvQ);
    }
  });

  it('counts as ss does', () => {
    const { total, ...counts } = countStatesSync({ procRoot: dir });
    expect(total).toBe(ss.length);
    expect(Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0))).toEqual(countBy(ss));
  });

  it('reads udp tables: unconnected sockets as UNCONN, with queued datagrams', () => {
    const udp = snapshotSync({ procRoot: dir, protocols: ['udp', 'udp6'] }).toArray();
    expect(udp.map((r) => r.state).sort()).toEqual(['ESTABLISHED', 'ESTABLISHED', 'UNCONN', 'UNCONN']);
    expect(udp.filter((r) => r.state === 'UNCONN').every((r) => r.recvQ > 0)).toBe(true);
    expect(new Set(udp.map((r) => r.proto))).toEqual(new Set(['udp', 'udp6']));
  });
});

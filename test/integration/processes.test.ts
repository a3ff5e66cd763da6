// Socket owners (processes: true, list -p) of this process's own sockets: the pid, fd and command
// of each socket's holders, equal to what ss -p shows.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { snapshot, snapshotSync } from '../../src/index.js';
import { cli, hasCommand } from '../helpers/netns.js';
import { rowKey, ssOwners, type OwnedRow } from '../helpers/peers.js';
import { connectedPair, type Pair } from '../helpers/sockets.js';

describe.skipIf(!hasCommand('ss'))('socket owners of this process, against ss -tp', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await connectedPair();
  });
  afterAll(() => pair?.close());

  // The listener and both ends of the connection, by both ports: other tests' sockets in the
  // namespace may reuse either port number on another address or pair.
  const mine = (local: number, remote: number) => {
    const [client, server] = [pair.client.localPort!, pair.client.remotePort!];
    return (local === server && (remote === 0 || remote === client)) || (local === client && remote === server);
  };
  const ours = (rows: OwnedRow[]) => rows.filter((r) => mine(r.localPort, r.remotePort));

  it('list -p --json shows our pid and command on our sockets, as ss -tpn does', () => {
    const r = cli(['list', '-a', '-4', '-p', '--json']);
    expect(r.status).toBe(0);
    const rows = ours(JSON.parse(r.stdout) as OwnedRow[]);
    expect(rows).toHaveLength(3); // the listener and both ends of the connection
    const ss = ssOwners(spawnSync('ss', ['-tanpH4'], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout);
    for (const row of rows) {
      expect(row.owners, rowKey(row)).toEqual(ss.get(rowKey(row)));
      expect(row.owners!.map((o) => o.pid)).toEqual([process.pid]);
    }
  });

  it('gives the same owners sync and async, columnar and as rows', async () => {
    for (const table of [snapshotSync({ processes: true }), await snapshot({ processes: true })]) {
      expect(table.processScan!.scanned).toBeGreaterThan(0);
      for (let i = 0; i < table.length; i++) {
        if (!mine(table.columns.localPort[i]!, table.columns.remotePort[i]!)) continue;
        const { start, pid, fd } = table.owners!;
        expect(Array.from(pid.subarray(start[i], start[i + 1]))).toEqual([process.pid]);
        const fds = [pair.server, pair.client, pair.accepted].map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd);
        expect(fds).toContain(fd[start[i]!]);
        expect(table.get(i)!.owners).toEqual([{ pid: process.pid, fd: fd[start[i]!], command: table.owners!.command(process.pid) }]);
      }
    }
  });

  it('adds no owners unless asked', () => {
    const table = snapshotSync();
    expect(table.owners).toBeUndefined();
    expect(table.processScan).toBeUndefined();
    expect(table.get(0)).not.toHaveProperty('owners');
  });
});

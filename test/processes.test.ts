// Socket owners (processes: true, list -p): the pid, fd and command of each socket's holders,
// equal to what ss -p shows; processes that cannot be read are skipped and counted, never fatal.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { snapshot, snapshotSync, SockscopeError, type SocketOwner } from '../dist/index.js';
import { inChild } from './helpers/child.js';
import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from './helpers/netns.js';
import { endpointKey } from './helpers/peers.js';
import { connectedPair, type Pair } from './helpers/sockets.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');

/** `ss -tanpH`: "local remote" → owners, from its `users:(("cmd",pid=N,fd=N),...)` column. */
function ssOwners(out: string): Map<string, SocketOwner[]> {
  const owners = new Map<string, SocketOwner[]>();
  for (const line of out.trim().split('\n')) {
    const [, , , local, remote] = line.trim().split(/\s+/);
    // As endpointKey: IPv6 unbracketed, and ss's `*` (a dual-stack wildcard) as `::`.
    const key = [local!, remote!].map((e) => e.replace(/[[\]]/g, '').replace(/^\*:/, ':::')).join(' ');
    owners.set(key, [...line.matchAll(/\("([^"]*)",pid=(\d+),fd=(\d+)\)/g)].map(([, command, pid, fd]) => ({ pid: Number(pid), fd: Number(fd), command: command! })));
  }
  return owners;
}

interface Row {
  state: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  owners?: SocketOwner[];
}
const rowKey = (r: Row) => `${endpointKey(r.localAddress, r.localPort)} ${endpointKey(r.remoteAddress, r.remotePort)}`;

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
  const ours = (rows: Row[]) => rows.filter((r) => mine(r.localPort, r.remotePort));

  it('list -p --json shows our pid and command on our sockets, as ss -tpn does', () => {
    const r = cli(['list', '-a', '-4', '-p', '--json']);
    expect(r.status).toBe(0);
    const rows = ours(JSON.parse(r.stdout) as Row[]);
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

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'owners of every TCP state in a namespace (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<unknown>;
    beforeAll(async () => {
      fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/all_states.py')]);
    });
    afterAll(() => fx?.stop());

    it('equals ss -tanp socket by socket; TIME_WAIT and SYN_RECV sockets have none', () => {
      const table = snapshotSync({ procRoot: `/proc/${fx.pid}/net`, processes: true });
      const ss = ssOwners(fx.exec('ss', ['-tanpH']));
      expect(table.length).toBe(ss.size);
      for (const row of table) {
        const k = rowKey(row);
        expect(row.owners, k).toEqual(ss.get(k));
        if (row.state === 'TIME_WAIT' || row.state === 'SYN_RECV') expect(row.inode, k).toBe(0);
        // No file, no owner: TIME_WAIT, request sockets, and connections not yet accept()ed.
        expect(row.owners!.map((o) => [o.pid, o.command]), k).toEqual(row.inode === 0 ? [] : [[fx.pid, 'python3']]);
      }
    });
  },
);

describe('process scan', () => {
  it('skips and counts processes it cannot read, over a recorded /proc tree', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sockscope-proc-'));
    try {
      mkdirSync(path.join(root, '100/fd'), { recursive: true });
      symlinkSync('socket:[777262]', path.join(root, '100/fd/3')); // the first socket of the recorded tcp table
      symlinkSync('pipe:[5]', path.join(root, '100/fd/4'));
      writeFileSync(path.join(root, '100/comm'), 'fake\n');
      mkdirSync(path.join(root, '200')); // no fd directory: gone, as a process that exited
      mkdirSync(path.join(root, '300/fd'), { recursive: true });
      mkdirSync(path.join(root, 'self'));
      const table = snapshotSync({ procRoot: recorded, processes: true, processRoot: root });
      expect(table.processScan).toEqual({ scanned: 2, skipped: 1 });
      const owned = table.toArray().filter((r) => r.owners!.length > 0);
      expect(owned.map((r) => [r.inode, r.owners])).toEqual([[777262, [{ pid: 100, fd: 3, command: 'fake' }]]]);
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  it('takes a FIFO as a process\'s comm for no name, without blocking on it', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sockscope-proc-'));
    try {
      mkdirSync(path.join(root, '100/fd'), { recursive: true });
      symlinkSync('socket:[777262]', path.join(root, '100/fd/3'));
      execFileSync('mkfifo', [path.join(root, '100/comm')]);
      const o = JSON.stringify({ procRoot: recorded, processes: true, processRoot: root });
      // In a child, which fails by timeout if the read blocks.
      const owners = inChild(`return s.snapshotSync(${o}).toArray().flatMap((r) => r.owners.map((w) => [r.inode, w]));`);
      expect(owners).toEqual([[777262, { pid: 100, fd: 3, command: '' }]]);
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  it.skipIf(process.getuid?.() !== 0 || !hasCommand('setpriv'))('as an unprivileged user, skips the processes of others and still finds its own', () => {
    const script = `
      const net = require('node:net');
      const s = net.createServer().listen(0, '127.0.0.1', async () => {
        const { snapshotSync } = await import(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
        const t = snapshotSync({ processes: true });
        const mine = t.toArray().find((r) => r.localPort === s.address().port);
        console.log(JSON.stringify({ scan: t.processScan, owners: mine.owners.map((o) => o.pid), pid: process.pid }));
        s.close();
      });`;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { scan, owners, pid } = JSON.parse(r.stdout);
    expect(owners).toEqual([pid]);
    expect(scan.skipped).toBeGreaterThan(0); // at least this test's own process, root's
    expect(scan.scanned).toBeGreaterThanOrEqual(1);
  });

  it('rejects bad options, and fails only when the process root itself cannot be read', () => {
    expect(() => snapshotSync({ processes: 'yes' } as object)).toThrow(new TypeError('Expected a boolean for processes but received "yes" of type string'));
    expect(() => snapshotSync({ processes: true, processRoot: '' })).toThrow(new RangeError('Expected a non-empty string for processRoot but received "" of type string'));
    let err: unknown;
    try {
      snapshotSync({ procRoot: recorded, processes: true, processRoot: '/nonexistent-sockscope' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SockscopeError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'opendir', message: 'opendir /nonexistent-sockscope: No such file or directory' });
  });
});

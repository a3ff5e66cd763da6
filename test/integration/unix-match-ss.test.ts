// UNIX sockets of every type and state in a private namespace: `list -x -a --json` and
// unixSockets() must equal what `ss -xaH` prints there, socket by socket (netlink), and what
// ss prints from /proc/net/unix (PROC_ROOT set) for the proc source.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';

interface Named {
  path: string;
  inode: number;
}
interface Made {
  waiting: Named;
  full: Named;
  abstract: Named;
  inbox: Named;
  pair: [number, number];
  refused: number;
}

interface Row {
  type: string;
  state: string;
  path: string | null;
  inode: number;
  peerInode: number | null;
  recvQ: number | null;
  sendQ: number | null;
  uid: number | null;
  owners?: { pid: number; fd: number; command: string }[];
}

const TYPES: Record<string, string> = { u_str: 'stream', u_dgr: 'dgram', u_seq: 'seqpacket' };

/** `ss -xaH[p]` lines as rows; ss prints the name, then the inode, as the local address and port. */
function parseSsUnix(text: string, queues: boolean): Row[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [netid, state, recvQ, sendQ, name, inode, , peer, ...rest] = line.trim().split(/\s+/);
    const owners = [...rest.join(' ').matchAll(/\("([^"]*)",pid=(\d+),fd=(\d+)\)/g)].map((m) => ({
      pid: Number(m[2]), fd: Number(m[3]), command: m[1]!,
    }));
    return {
      type: TYPES[netid!]!,
      state: state!,
      path: name === '*' ? null : name!,
      inode: Number(inode),
      peerInode: queues ? Number(peer) : null,
      recvQ: queues ? Number(recvQ) : null,
      sendQ: queues ? Number(sendQ) : null,
      uid: null,
      ...(owners.length && { owners }),
    };
  });
}

const byInode = (rows: Row[]) => [...rows].sort((a, b) => a.inode - b.inode || String(a.path).localeCompare(String(b.path)));
const compared = ({ type, state, path, inode, peerInode, recvQ, sendQ }: Row) => ({ type, state, path, inode, peerInode, recvQ, sendQ });

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'UNIX sockets against ss -x (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<Made>;
    let dir: string;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-unix-'));
      fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/unix_sockets.py'), dir]);
    });
    afterAll(async () => {
      await fx?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('list -x -a --json equals ss -xaH: type, state, queues, path, inode and peer', () => {
      const r = cli(['list', '-x', '-a', '--json'], fx);
      expect(r.status, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Row[];
      const ss = parseSsUnix(fx.exec('ss', ['-xaH']), true);
      expect(rows.length).toBe(16);
      expect(byInode(rows).map(compared)).toEqual(byInode(ss).map(compared));
      expect(rows.every((row) => row.uid === 0)).toBe(true);
    });

    it('names the listeners, their waiting connections and backlogs, and the full one', () => {
      const rows = JSON.parse(cli(['list', '-x', '-l', '--json'], fx).stdout) as Row[];
      const listener = (inode: number) => rows.find((row) => row.inode === inode);
      const { waiting, full, abstract } = fx.made;
      expect(listener(waiting.inode)).toMatchObject({ type: 'stream', state: 'LISTEN', path: waiting.path, recvQ: 2, sendQ: 5 });
      expect(listener(full.inode)).toMatchObject({ type: 'stream', state: 'LISTEN', path: full.path, recvQ: 2, sendQ: 1 });
      expect(listener(abstract.inode)).toMatchObject({ type: 'seqpacket', state: 'LISTEN', path: '@sockscope@seq', recvQ: 1, sendQ: 4 });
      // -l is LISTEN and UNCONN, as ss -l: the unconnected dgram socket and the refused stream socket
      // (a dgram socket that another connected to is ESTAB, as ss shows it).
      expect(rows.map((row) => row.state).sort()).toEqual(['LISTEN', 'LISTEN', 'LISTEN', 'UNCONN', 'UNCONN']);
      expect(rows.find((row) => row.state === 'UNCONN' && row.type === 'stream')!.inode).toBe(fx.made.refused);
    });

    it('a socketpair names each end as the other\'s peer; queued datagrams count in bytes', () => {
      const rows = JSON.parse(cli(['list', '-x', '--json'], fx).stdout) as Row[];
      const [a, b] = fx.made.pair;
      expect(rows.find((row) => row.inode === a)).toMatchObject({ state: 'ESTAB', path: null, peerInode: b, recvQ: 0 });
      expect(rows.find((row) => row.inode === b)).toMatchObject({ state: 'ESTAB', path: null, peerInode: a, recvQ: 100 });
      expect(rows.find((row) => row.inode === fx.made.inbox.inode)).toMatchObject({ type: 'dgram', path: fx.made.inbox.path, recvQ: 10 });
    });

    it('list -x -a -p --json names the owning process of each socket as ss -xaHp does', () => {
      const rows = JSON.parse(cli(['list', '-x', '-a', '-p', '--json'], fx).stdout) as Row[];
      const ss = parseSsUnix(fx.exec('ss', ['-xaHp']), true);
      const owners = (list: Row[]) => byInode(list).map((row) => [row.inode, row.owners ?? []]);
      expect(owners(rows)).toEqual(owners(ss));
      expect(rows.find((row) => row.inode === fx.made.full.inode)!.owners![0]!.pid).toBe(fx.pid);
    });

    it('the proc source equals ss reading /proc/net/unix (PROC_ROOT): no queues, peers or uids', () => {
      const r = cli(['list', '-x', '-a', '--json', '--source', 'proc'], fx);
      expect(r.status, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Row[];
      const ss = parseSsUnix(fx.exec('env', ['PROC_ROOT=/proc', 'ss', '-xaH']), false);
      // /proc also lists the connections not yet accepted, as SYN-SENT with inode 0.
      expect(rows.filter((row) => row.state === 'SYN-SENT' && row.inode === 0).length).toBe(5);
      // ss from /proc reads every unconnected dgram socket as ESTAB (it takes the socket's own
      // address in the Num column for a peer); sockscope keeps the kernel's UNCONN, as netlink says.
      const dgramStateAside = (row: Row) => ({ ...compared(row), state: row.type === 'dgram' ? '-' : row.state });
      expect(byInode(rows).map(dgramStateAside)).toEqual(byInode(ss).map(dgramStateAside));
      const netlink = JSON.parse(cli(['list', '-x', '-a', '--json'], fx).stdout) as Row[];
      const dgramStates = (list: Row[]) => byInode(list).filter((row) => row.type === 'dgram').map((row) => [row.inode, row.state]);
      expect(dgramStates(rows)).toEqual(dgramStates(netlink));
      expect(dgramStates(rows).map(([, state]) => state)).toEqual(['ESTAB', 'ESTAB', 'UNCONN']);
      expect(rows.every((row) => row.uid === null && row.recvQ === null && row.peerInode === null)).toBe(true);
    });

    it('prints ss -x\'s columns, with a listener\'s accept queue and backlog', () => {
      const r = cli(['list', '-x', '--state', 'listen'], fx);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]!.split(/\s+/)).toEqual(['Netid', 'State', 'Recv-Q', 'Send-Q', 'Local', 'Address:Port', 'Peer', 'Address:Port']);
      const full = lines.find((l) => l.includes(fx.made.full.path))!;
      expect(full.split(/\s+/)).toEqual(['u_str', 'LISTEN', '2', '1', fx.made.full.path, String(fx.made.full.inode), '*', '0']);
    });
  },
);

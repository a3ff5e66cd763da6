// queueOf on the test's own sockets: O(1) reads through the descriptor.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { queueOf, SockscopeError } from '../../src/index.js';
import { connectedPair, until, type Pair } from '../helpers/sockets.js';

const CLIENTS = 3;
// Connects CLIENTS sockets, waits until every handshake is done, and exits.
const CLIENT = `
const net = require('node:net');
const port = Number(process.argv[1]);
let done = 0;
for (let i = 0; i < ${CLIENTS}; i++) {
  net.connect(port, '127.0.0.1').on('connect', () => { if (++done === ${CLIENTS}) process.exit(0); });
}`;

describe('queueOf a listener', () => {
  let server: net.Server;
  const accepted: net.Socket[] = [];

  beforeAll(async () => {
    server = net.createServer((s) => accepted.push(s.on('error', () => {})));
    server.listen({ host: '127.0.0.1', port: 0, backlog: 16 });
    await once(server, 'listening');
  });
  afterAll(async () => {
    accepted.forEach((s) => s.destroy());
    server.close();
    await once(server, 'close');
  });

  it('gives the accept queue and the backlog', () => {
    expect(queueOf(server)).toEqual({ kind: 'listener', acceptQueue: 0, backlog: 16, full: false });
  });

  it('shows the accept queue filling while the event loop is blocked, and emptying after', async () => {
    const { port } = server.address() as net.AddressInfo;
    // spawnSync blocks this thread while the child connects: nobody calls accept().
    const child = spawnSync(process.execPath, ['-e', CLIENT, String(port)], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(queueOf(server)).toEqual({ kind: 'listener', acceptQueue: CLIENTS, backlog: 16, full: false });
    expect(await until(() => accepted.length === CLIENTS)).toBe(true);
    expect(queueOf(server)).toEqual({ kind: 'listener', acceptQueue: 0, backlog: 16, full: false });
  });
});

describe('queueOf a connection', () => {
  let pair: Pair;
  const SENT = 5000;

  beforeAll(async () => {
    pair = await connectedPair();
    pair.client.write(Buffer.alloc(SENT, 7));
  });
  afterAll(() => pair.close());

  it('gives the unread bytes of the paused side and the tcp_info fields', async () => {
    expect(await until(() => (queueOf(pair.accepted) as { recvQ: number }).recvQ === SENT)).toBe(true);
    expect(queueOf(pair.accepted)).toEqual({
      kind: 'connection', state: 'ESTABLISHED', recvQ: SENT, sendQ: 0, unsent: 0,
      rtt: expect.any(Number), rttVar: expect.any(Number), cwnd: expect.any(Number), mss: expect.any(Number),
      unacked: 0, lost: 0, totalRetrans: 0, retransmits: 0,
    });
    expect(queueOf(pair.client)).toMatchObject({ kind: 'connection', state: 'ESTABLISHED', recvQ: 0, sendQ: 0, unsent: 0, unacked: 0 });
  });
});

describe('queueOf errors', () => {
  it('rejects what is not a net.Server or net.Socket with a TypeError', () => {
    expect(() => queueOf({} as never)).toThrow(new TypeError('Expected a net.Server or net.Socket for handle but received [object Object] of type object'));
    expect(() => queueOf(3 as never)).toThrow(new TypeError('Expected a net.Server or net.Socket for handle but received 3 of type number'));
  });

  it('gives EBADF for a server not listening and a destroyed socket', async () => {
    expect(() => queueOf(new net.Server())).toThrow(
      expect.objectContaining({ name: 'SockscopeError', code: 'EBADF', errno: -9, message: 'queueOf: the net.Server is not listening, so it has no file descriptor' }),
    );
    const pair = await connectedPair();
    pair.client.destroy();
    expect(() => queueOf(pair.client)).toThrow(
      expect.objectContaining({ code: 'EBADF', message: 'queueOf: the net.Socket is not connected or was destroyed, so it has no file descriptor' }),
    );
    await pair.close();
  });

  it('gives ERR_NOT_TCP for a Unix socket', async () => {
    const server = net.createServer().listen(path.join(os.tmpdir(), `sockscope-${process.pid}.sock`));
    await once(server, 'listening');
    try {
      const err = (() => { try { queueOf(server); } catch (e) { return e; } })() as SockscopeError;
      expect(err).toBeInstanceOf(SockscopeError);
      expect(err.code).toBe('ERR_NOT_TCP');
      expect(err.message).toMatch(/^fd \d+ is not a TCP socket: domain 1, protocol 0$/);
    } finally {
      server.close();
    }
  });
});

// The counter parsers: the real files read whole, hostile ones refused with file and line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { keyCounters, netstatCounters, netstatCountersSync, sockstat, SockscopeError } from '../../src/index.js';
import { ATTEMPT, inChild } from '../helpers/child.js';
import { procDir } from '../helpers/proc-dir.js';

const NETSTAT = 'TcpExt: ListenOverflows ListenDrops TCPBacklogDrop\nTcpExt: 7 9 2\nIpExt: InOctets\nIpExt: 18446744073709551615\n';
const SNMP = 'Tcp: RtoAlgorithm MaxConn RetransSegs OutRsts\nTcp: 1 -1 30 4\nIcmpMsg: InType3\nIcmpMsg: 1\n';

describe('netstatCounters', () => {
  it('reads every group and name of both files, signed values included', async () => {
    const dir = procDir({ netstat: NETSTAT, snmp: SNMP });
    const expected = {
      TcpExt: { ListenOverflows: 7, ListenDrops: 9, TCPBacklogDrop: 2 },
      IpExt: { InOctets: 18446744073709551615 },
      Tcp: { RtoAlgorithm: 1, MaxConn: -1, RetransSegs: 30, OutRsts: 4 },
      IcmpMsg: { InType3: 1 },
    };
    expect(await netstatCounters({ procRoot: dir })).toEqual(expected);
    expect(netstatCountersSync({ procRoot: dir })).toEqual(expected);
    expect(keyCounters(expected)).toEqual({
      listenOverflows: 7, listenDrops: 9, syncookiesSent: 0, reqQFullDrop: 0, backlogDrop: 2,
      retransSegs: 30, outRsts: 4, attemptFails: 0, estabResets: 0,
    });
  });

  it('parses the real /proc/net/netstat and snmp fully: every name in the files', async () => {
    const counters = await netstatCounters();
    for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      for (let i = 0; i < lines.length; i += 2) {
        const [group, ...names] = lines[i]!.trim().split(/\s+/);
        const fields = counters[group!.slice(0, -1)]!;
        expect(Object.keys(fields)).toEqual(names);
        expect(Object.values(fields).every(Number.isInteger)).toBe(true);
      }
    }
    expect(counters.Tcp!.MaxConn).toBe(-1);
  });

  const hostile: [string, string, string, string][] = [
    ['a value line of another group', 'TcpExt: A B\nIpExt: 1 2\n', 'netstat', ':2: expected the values of TcpExt but found group IpExt'],
    ['fewer values than names', 'TcpExt: A B C\nTcpExt: 1 2\n', 'netstat', ':2: TcpExt has 3 names but 2 values'],
    ['more values than names', 'TcpExt: A\nTcpExt: 1 2\n', 'netstat', ':2: TcpExt has 1 names but 2 values'],
    ['a value that is not a number', 'TcpExt: A B\nTcpExt: 1 x2\n', 'netstat', ':2: TcpExt B is not an integer: "x2"'],
    ['a names line with no value line', 'TcpExt: A B\nTcpExt: 1 2\nIpExt: A\n', 'netstat', ':4: expected the values of IpExt but found the end of the file'],
    ['a line with no group', 'TcpExt: A\nTcpExt: 1\nhello world\nX: 1\n', 'netstat', ':3: expected "Group: Name ..." but found "hello world"'],
    ['a group twice', 'TcpExt: A\nTcpExt: 1\nTcpExt: A\nTcpExt: 1\n', 'netstat', ':3: group TcpExt appears twice'],
    ['a name twice', 'TcpExt: A A\nTcpExt: 1 2\n', 'netstat', ':1: TcpExt names A twice'],
    ['an empty file', '', 'netstat', ':1: expected "Group: Name ..." but found the end of the file'],
    ['a group of snmp already in netstat', 'Tcp: A\nTcp: 1\n', 'snmp', ':1: group Tcp appears twice'],
  ];
  for (const [what, body, file, message] of hostile) {
    it(`refuses ${what} with ERR_COUNTERS_PARSE naming file and line`, async () => {
      const dir = procDir({ netstat: body, snmp: SNMP });
      const expected = { name: 'SockscopeError', code: 'ERR_COUNTERS_PARSE', message: `${dir}/${file}${message}` };
      expect(() => netstatCountersSync({ procRoot: dir })).toThrow(expect.objectContaining(expected));
      await expect(netstatCounters({ procRoot: dir })).rejects.toMatchObject(expected);
    });
  }

  it('gives ENOENT with errno and syscall for a missing file', async () => {
    const dir = procDir({ netstat: NETSTAT });
    const expected = { code: 'ENOENT', errno: -2, syscall: 'open', message: `open ${dir}/snmp: No such file or directory` };
    await expect(netstatCounters({ procRoot: dir })).rejects.toMatchObject(expected);
    expect(() => netstatCountersSync({ procRoot: dir })).toThrow(expect.objectContaining(expected));
    await expect(netstatCounters({ procRoot: dir })).rejects.toBeInstanceOf(SockscopeError);
  });

  it('refuses a FIFO or /dev/zero as a counter file with EINVAL, and does not block on it', () => {
    // In a child, so that a regression fails by timeout instead of hanging the suite.
    for (const make of [(at: string) => execFileSync('mkfifo', [at]), (at: string) => fs.symlinkSync('/dev/zero', at)]) {
      const dir = procDir({ netstat: NETSTAT });
      make(path.join(dir, 'snmp'));
      const o = JSON.stringify({ procRoot: dir });
      const out = inChild(`${ATTEMPT} return [await attempt(() => s.netstatCountersSync(${o})), await attempt(() => s.netstatCounters(${o})),
        await attempt(() => s.readTcpCounters(${o}))];`);
      const expected = { code: 'EINVAL', errno: -22, message: `open ${dir}/snmp: not a regular file` };
      expect(out).toEqual([expected, expected, expected]);
    }
  });

  it('checks its options', () => {
    expect(() => netstatCountersSync({ procroot: '/x' } as never)).toThrow(
      new TypeError('Unknown option "procroot" for netstatCountersSync(); did you mean "procRoot"?. Known options: procRoot'),
    );
    expect(() => netstatCountersSync({ procRoot: '' })).toThrow(new RangeError('Expected a non-empty string for procRoot but received "" of type string'));
  });
});

describe('sockstat', () => {
  it('reads sockstat and sockstat6 by group and name', async () => {
    const dir = procDir({
      sockstat: 'sockets: used 14\nTCP: inuse 3 orphan 0 tw 2 alloc 5 mem 1\nFRAG: inuse 0 memory 0\n',
      sockstat6: 'TCP6: inuse 2\nUDP6: inuse 0\n',
    });
    expect(await sockstat({ procRoot: dir })).toEqual({
      sockets: { used: 14 }, TCP: { inuse: 3, orphan: 0, tw: 2, alloc: 5, mem: 1 }, FRAG: { inuse: 0, memory: 0 },
      TCP6: { inuse: 2 }, UDP6: { inuse: 0 },
    });
  });

  it('skips a missing sockstat6 and refuses a malformed line', async () => {
    expect(await sockstat({ procRoot: procDir({ sockstat: 'TCP: inuse 1\n' }) })).toEqual({ TCP: { inuse: 1 } });
    const dir = procDir({ sockstat: 'TCP: inuse 1 orphan\n' });
    await expect(sockstat({ procRoot: dir })).rejects.toMatchObject({
      code: 'ERR_COUNTERS_PARSE', message: `${dir}/sockstat:1: expected "GROUP: name value ..." but found "TCP: inuse 1 orphan"`,
    });
  });

  it('reads the real files fully: every group and name in them, as integers', async () => {
    const s = await sockstat();
    // Values change as sockets come and go; the names the kernel prints do not.
    const names = ['/proc/net/sockstat', '/proc/net/sockstat6'].flatMap((file) =>
      fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => {
        const [group, ...rest] = line.split(/:?\s+/);
        return [group!.replace(/:$/, ''), rest.filter((_, i) => i % 2 === 0)] as const;
      }),
    );
    expect(Object.fromEntries(Object.entries(s).map(([group, fields]) => [group, Object.keys(fields)]))).toEqual(Object.fromEntries(names));
    expect(Object.values(s).flatMap((fields) => Object.values(fields)).every(Number.isInteger)).toBe(true);
  });
});

// Hostile /proc tables fed through procRoot: each gives an error with a code naming file and line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { snapshotSync, countStatesSync, snapshot, SockscopeError } from '../../src/index.js';
import { ATTEMPT, inChild, VM } from '../helpers/child.js';
import { HEADER, HUGE_SOCKSTAT, procDir } from '../helpers/proc-dir.js';

const GOOD = '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n';
function readError(dir: string, protocols: ('tcp' | 'tcp6')[] = ['tcp']): SockscopeError {
  try {
    snapshotSync({ procRoot: dir, protocols });
  } catch (err) {
    expect(err).toBeInstanceOf(SockscopeError);
    return err as SockscopeError;
  }
  throw new Error('expected the read to fail');
}

describe('well-formed but unusual tables', () => {
  it('reads a header-only table and an empty file as no sockets', () => {
    expect(snapshotSync({ procRoot: procDir({ tcp: HEADER }), protocols: ['tcp'] }).length).toBe(0);
    expect(snapshotSync({ procRoot: procDir({ tcp: '' }), protocols: ['tcp'] }).length).toBe(0);
  });

  it('accepts the short lines of older kernels, ending at the inode', () => {
    const line = '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000002 00:00000000 00000000  1000        0 4242\n';
    expect(snapshotSync({ procRoot: procDir({ tcp: HEADER + line }), protocols: ['tcp'] }).toArray()).toEqual([
      {
        proto: 'tcp', state: 'LISTEN', localAddress: '127.0.0.1', localPort: 3306, remoteAddress: '0.0.0.0',
        remotePort: 0, recvQ: 2, sendQ: 0, uid: 1000, inode: 4242, timer: 'off', timerExpires: 0, retransmits: 0,
      },
    ]);
  });

  it('reads an expired timer, printed as a negative long, as 0 ms; a live one in ms', () => {
    const expired = '   0: 0100007F:0CEA 0100007F:1F90 01 00000000:00000000 01:FFFFFFFFFFFFFFF6 00000003     0        0 1 1\n';
    const live = '   1: 0100007F:0CEB 0100007F:1F90 06 00000000:00000000 03:00000BB8 00000000     0        0 0 3\n';
    const t = snapshotSync({ procRoot: procDir({ tcp: HEADER + expired + live }), protocols: ['tcp'] });
    expect(t.get(0)).toMatchObject({ timer: 'on', timerExpires: 0, retransmits: 3, state: 'ESTABLISHED' });
    expect(t.get(1)).toMatchObject({ timer: 'timewait', timerExpires: 30_000, state: 'TIME_WAIT', inode: 0 });
  });

  it('skips a missing IPv6 table unless it was asked for by name', () => {
    const dir = procDir({ tcp: HEADER + GOOD });
    expect(snapshotSync({ procRoot: dir }).length).toBe(1);
    expect(countStatesSync({ procRoot: dir }).LISTEN).toBe(1);
    expect(readError(dir, ['tcp6']).code).toBe('ENOENT');
  });

  describe('a sockstat that claims billions of sockets', () => {
    it('sizes the columns by the table file beside it, not by the claim', () => {
      const dir = procDir({ tcp: HEADER + GOOD, sockstat: HUGE_SOCKSTAT });
      const o = JSON.stringify({ procRoot: dir, protocols: ['tcp'] });
      const [rows, grownKiB] = inChild<[unknown[], number]>(`${VM} const before = vm('VmSize'); const t = s.snapshotSync(${o});
        return [t.toArray(), vm('VmPeak') - before];`);
      expect(rows).toEqual(snapshotSync({ procRoot: procDir({ tcp: HEADER + GOOD }), protocols: ['tcp'] }).toArray());
      expect(grownKiB).toBeLessThan(256 << 10); // the claim's 2^24 rows would map ~1 GiB
    });
  });
});

describe('malformed tables', () => {
  const cases: [string, string | Buffer, string, string][] = [
    ['a last line with no newline', HEADER + GOOD.trimEnd(), 'ERR_PROC_PARSE', ':2: truncated line (no newline at the end)'],
    ['a bad hex digit in an address', HEADER + GOOD.replace('0100007F', '0100007G'), 'ERR_PROC_PARSE', ':2: malformed line: expected local address:port'],
    ['a line cut after the state', HEADER + '   0: 0100007F:0CEA 00000000:0000 0A\n', 'ERR_PROC_PARSE', ':2: malformed line: expected tx_queue'],
    ['an unknown state', HEADER + GOOD.replace(' 0A ', ' 1F '), 'ERR_UNKNOWN_STATE', ':2: unknown socket state 0x1F'],
    ['state zero', HEADER + GOOD.replace(' 0A ', ' 00 '), 'ERR_UNKNOWN_STATE', ':2: unknown socket state 0x00'],
    ['a uid past 32 bits', HEADER + GOOD.replace('     0        0 12345', ' 99999999999        0 12345'), 'ERR_PROC_PARSE', ':2: malformed line: expected uid'],
    ['an inode past 32 bits', HEADER + GOOD.replace('12345', '4294967296'), 'ERR_PROC_PARSE', ':2: malformed line: expected inode'],
    ['retransmits past a byte', HEADER + GOOD.replace('00:00000000 00000000', '00:00000000 00000100'), 'ERR_PROC_PARSE', ':2: malformed line: expected retransmits'],
    ['a port of five hex digits', HEADER + GOOD.replace(':0CEA', ':10CEA'), 'ERR_PROC_PARSE', ':2: malformed line: expected local address:port'],
    ['a NUL byte inside a line', Buffer.concat([Buffer.from(HEADER + GOOD.slice(0, 20)), Buffer.from([0]), Buffer.from(GOOD.slice(21))]), 'ERR_PROC_PARSE', ':2: malformed line'],
    ['garbage after the inode', HEADER + GOOD.replace('12345 1', '12345x1'), 'ERR_PROC_PARSE', ':2: malformed line: expected space after the inode'],
    ['a good line then a bad one', HEADER + GOOD + 'hello\n', 'ERR_PROC_PARSE', ':3: malformed line: expected slot number'],
  ];
  for (const [what, body, code, message] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const dir = procDir({ tcp: body });
      const err = readError(dir);
      expect(err.code).toBe(code);
      expect(err.message).toContain(`${dir}/tcp${message}`);
      expect(() => countStatesSync({ procRoot: dir, protocols: ['tcp'] })).toThrow(err.message);
    });
  }

  it('rejects an IPv4-sized address in the tcp6 table', () => {
    const err = readError(procDir({ tcp6: HEADER + GOOD }), ['tcp6']);
    expect(err.message).toMatch(/tcp6:2: malformed line: expected local address:port$/);
  });

  it('rejects a line longer than the 1 MiB read buffer', () => {
    const err = readError(procDir({ tcp: HEADER + ' '.repeat(1 << 20) + GOOD }));
    expect(err.message).toMatch(/tcp:2: line longer than the read buffer$/);
  });

  it('gives errno codes for a missing root, a file as root, and a directory as a table', async () => {
    expect(readError('/nonexistent-sockscope')).toMatchObject({
      code: 'ENOENT', errno: -2, syscall: 'open', message: 'open /nonexistent-sockscope/tcp: No such file or directory',
    });
    const file = path.join(procDir({ tcp: HEADER }), 'tcp');
    expect(readError(file).code).toBe('ENOTDIR');
    const dir = procDir({});
    fs.mkdirSync(path.join(dir, 'tcp'));
    expect(readError(dir)).toMatchObject({ code: 'EISDIR', syscall: 'read' });
    await expect(snapshot({ procRoot: dir, protocols: ['tcp'] })).rejects.toMatchObject({ code: 'EISDIR' });
  });

  describe('a FIFO or a device in place of a file', () => {
    // Each would block the open or never end: read in a child, which fails by timeout if it hangs.
    const read = (dir: string) => {
      const o = JSON.stringify({ procRoot: dir, protocols: ['tcp'] });
      return inChild(`${ATTEMPT} return [await attempt(() => s.snapshotSync(${o}).length), await attempt(async () => (await s.snapshot(${o})).length),
        await attempt(() => s.countStatesSync(${o}).LISTEN)];`);
    };
    const withNode = (name: string, make: (at: string) => void, files: Record<string, string> = {}) => {
      const dir = procDir(files);
      make(path.join(dir, name));
      return dir;
    };

    it.each([
      ['a FIFO', (at: string) => execFileSync('mkfifo', [at])],
      ['/dev/zero', (at: string) => fs.symlinkSync('/dev/zero', at)],
    ])('rejects %s as a table with EINVAL, sync and async', (_what, make) => {
      const dir = withNode('tcp', make);
      const err = { code: 'EINVAL', errno: -22, message: `open ${dir}/tcp: not a regular file` };
      expect(read(dir)).toEqual([err, err, err]);
    });

    it.each([
      ['a FIFO', (at: string) => execFileSync('mkfifo', [at])],
      ['/dev/zero', (at: string) => fs.symlinkSync('/dev/zero', at)],
    ])('takes %s as sockstat for no hint, and reads the table', (_what, make) => {
      const dir = withNode('sockstat', make, { tcp: HEADER + GOOD });
      expect(read(dir)).toEqual([1, 1, 1]);
    });
  });
});

describe('corrupted recordings', () => {
  const recorded = fs.readFileSync(path.join(__dirname, '../fixtures/proc/recorded/tcp'));
  it('never crashes and never returns more rows than lines, at any flipped byte', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 400; i++) {
      const body = Buffer.from(recorded);
      const at = Math.floor(rand() * body.length);
      body[at] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? body.subarray(0, Math.floor(rand() * body.length)) : body;
      const dir = procDir({ tcp: cut });
      try {
        const t = snapshotSync({ procRoot: dir, protocols: ['tcp'] });
        expect(t.length).toBeLessThanOrEqual(cut.toString('latin1').split('\n').length - 2);
      } catch (err) {
        expect(err).toBeInstanceOf(SockscopeError);
        expect(['ERR_PROC_PARSE', 'ERR_UNKNOWN_STATE']).toContain((err as SockscopeError).code);
      }
    }
  });
});

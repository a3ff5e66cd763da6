// Resource bounds: no fd is left open by a failing read, and a table holds what its input holds.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { countStates, countStatesSync, snapshot, snapshotSync, type ReadOptions } from '../../src/index.js';
import { HEADER, listenLine, procDir } from '../helpers/proc-dir.js';

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('file descriptors', () => {
  const tableDir = procDir({});
  fs.mkdirSync(path.join(tableDir, 'tcp'));
  const failures: [string, ReadOptions, string][] = [
    ['a missing procRoot', { procRoot: '/nonexistent-sockscope' }, 'ENOENT'],
    ['a directory as a table file', { procRoot: tableDir }, 'EISDIR'],
    ['a malformed table', { procRoot: procDir({ tcp: HEADER + 'hello\n' }) }, 'ERR_PROC_PARSE'],
    ['a good table, then a malformed one', { procRoot: procDir({ tcp: HEADER + listenLine(0, 80, 1), tcp6: HEADER + '0: x\n' }) }, 'ERR_PROC_PARSE'],
    ['an unknown state', { procRoot: procDir({ tcp: HEADER + listenLine(0, 80, 1).replace(' 0A ', ' 1F ') }) }, 'ERR_UNKNOWN_STATE'],
    ['a line longer than the read buffer', { procRoot: procDir({ tcp: HEADER + ' '.repeat(1 << 20) }) }, 'ERR_PROC_PARSE'],
  ];
  const reads = [
    (o: ReadOptions) => Promise.resolve().then(() => snapshotSync(o)),
    (o: ReadOptions) => Promise.resolve().then(() => countStatesSync(o)),
    snapshot,
    countStates,
  ];

  it.each(failures)('stay as many after 1000 failing reads of %s', async (_, options, code) => {
    const opts = { protocols: ['tcp', 'tcp6'], ...options } as ReadOptions;
    const fail = (read: (o: ReadOptions) => Promise<unknown>) => expect(read(opts)).rejects.toMatchObject({ code });
    await Promise.all(reads.map(fail));  // warm-up: the threadpool and lazily opened files
    const before = openFds();
    for (let batch = 0; batch < 25; batch++) {
      // 40 reads at a time, the async ones on the threadpool side by side
      await Promise.all(Array.from({ length: 10 }, () => Promise.all(reads.map(fail))));
    }
    expect(openFds()).toBe(before);
  });
});

describe('bounds', () => {
  it('holds exactly one row per line, across many 1 MiB read buffers', async () => {
    const n = 60_000;  // about 9 MB of table
    const lines = Array.from({ length: n }, (_, i) => listenLine(i, i % 65536, i + 1));
    const dir = procDir({ tcp: HEADER + lines.join('') });
    for (const t of [snapshotSync({ procRoot: dir, protocols: ['tcp'] }), await snapshot({ procRoot: dir, protocols: ['tcp'] })]) {
      expect(t.length).toBe(n);
      for (const [name, col] of Object.entries(t.columns)) {
        expect(col.length, name).toBe(name.endsWith('Address') ? 16 * n : n);
      }
      expect(t.columns.inode.every((v, i) => v === i + 1)).toBe(true);
      expect(t.columns.localPort.every((v, i) => v === i % 65536)).toBe(true);
    }
    expect((await countStates({ procRoot: dir, protocols: ['tcp'] })).LISTEN).toBe(n);
  });

  it('keeps no more rows than the states asked for', () => {
    const dir = procDir({ tcp: HEADER + listenLine(0, 80, 1) + listenLine(1, 81, 2).replace(' 0A ', ' 01 ') });
    expect(snapshotSync({ procRoot: dir, protocols: ['tcp'], states: ['ESTABLISHED'] }).columns.localPort).toEqual(
      new Uint16Array([81]),
    );
  });

  it('saturates a 16-digit timer expiry instead of wrapping it', () => {
    // ceil(2^64 / 1000) ticks: times 1000 it wrapped to 384, read as 3 ms
    const line = listenLine(0, 80, 1).replace(' 0A ', ' 01 ').replace(' 00:00000000 ', ' 01:004189374BC6A7F0 ');
    expect(snapshotSync({ procRoot: procDir({ tcp: HEADER + line }), protocols: ['tcp'] }).get(0).timerExpires).toBe(
      4294967295,
    );
  });
});

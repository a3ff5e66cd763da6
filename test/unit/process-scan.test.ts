// The process scan over recorded /proc trees: unreadable processes skipped and counted, a FIFO
// as comm read without blocking, bad options refused.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { snapshotSync, SockscopeError } from '../../src/index.js';
import { inChild } from '../helpers/child.js';
import { ROOT } from '../helpers/netns.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');

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

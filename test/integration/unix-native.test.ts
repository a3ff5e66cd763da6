// The UNIX-socket readers in C++, tested alone: unix_diag messages built by hand, cut at every
// byte and flipped, kernel errors, a live dump of sockets the program makes; /proc/net/unix text,
// real and hostile. Built with the system compiler, as CI has it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { ROOT } from '../helpers/netns.js';

const out = mkdtempSync(path.join(tmpdir(), 'sockscope-unix-native-'));

const sources = (dir: string) => readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.cc') && f !== 'addon.cc').map((f) => path.join(ROOT, dir, f));
/** The live reader falls back through the shared reader, so it links every pure reader (all of native/ but the N-API glue). */
const ALL_READERS = () => [...sources('native'), ...sources('native/unix')];
const PROC_PARSER = () => [path.join(ROOT, 'native/column_arena.cc'), path.join(ROOT, 'native/unix/unix_proc.cc')];

function build(name: string, readers: string[]): string {
  const exe = path.join(out, name);
  execFileSync('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', `-I${ROOT}/native`, ...readers,
    path.join(ROOT, 'test/native', `${name}.cc`), '-pthread', '-o', exe]);
  return exe;
}

/** The programs end with "N passed, M failed" and exit non-zero on any failure. */
function run(exe: string): number {
  const output = execFileSync(exe, { encoding: 'utf8' });
  const m = /(\d+) passed, (\d+) failed\s*$/.exec(output);
  expect(m, output).not.toBeNull();
  expect(Number(m![2]), output).toBe(0);
  return Number(m![1]);
}

describe('UNIX-socket readers (C++)', () => {
  it('unix_diag: request bytes, rows, kernel errors, every cut and flipped byte, a live dump', () => {
    expect(run(build('unix_diag_test', ALL_READERS()))).toBe(112);
  }, 120_000);

  it('/proc/net/unix: real text, ss\'s states, names, cut and hostile lines', () => {
    expect(run(build('unix_proc_test', PROC_PARSER()))).toBe(61);
  }, 120_000);
});

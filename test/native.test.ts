// The plain C++ readers, tested alone: the netlink parser on recorded and hostile bytes, and
// the live dump loop against sockets of its own. Built with the system compiler, as CI has it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'sockscope-native-'));
const inNetns = process.env.SOCKSCOPE_TEST_NETNS === '1';

function build(name: string): string {
  const exe = join(out, name);
  execFileSync('g++', [
    '-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', `-I${root}/native`,
    `${root}/native/netlink/netlink_reader.cc`, `${root}/native/netlink/messages.cc`, `${root}/native/netlink/rows.cc`, `${root}/native/netlink/request.cc`, `${root}/native/netlink/replay.cc`, `${root}/native/table/socket_table.cc`, `${root}/native/partition/partition.cc`,
    `${root}/native/partition/pinned_pool.cc`, `${root}/native/table/column_arena.cc`, `${root}/native/curr_estab.cc`,
    `${root}/native/partition/cpu_quota.cc`, `${root}/native/netns.cc`, `${root}/native/error.cc`, `${root}/test/native/${name}.cc`, '-pthread', '-o', exe,
  ]);
  return exe;
}

// The programs end with "N passed, M failed" and exit non-zero on any failure.
function run(exe: string, args: string[] = []): { passed: number; output: string } {
  const output = execFileSync(exe, args, { encoding: 'utf8' });
  const m = /(\d+) passed, (\d+) failed\s*$/.exec(output);
  expect(m, output).not.toBeNull();
  expect(Number(m![2]), output).toBe(0);
  return { passed: Number(m![1]), output };
}

describe('native readers (C++)', () => {
  // [program, what it checks, how many checks it must pass more than, its arguments]
  const programs: [string, string, number, string[]][] = [
    ['netlink_test', 'netlink parser: recorded dumps, truncated, misaligned and corrupt messages, bytecode', 100, [join(root, 'test/fixtures/netlink')]],
    ['partition_test', 'partitions: splits from a port histogram, merges without duplicates, the pinned pool', 30, []],
    ['column_arena_test', 'column region: carved, spilled to the heap when outgrown, reserved only for large tables', 10, []],
    ['cpu_quota_test', 'cgroup CPU quota: v2 and v1, nested, container mounts, missing and hostile files', 20, []],
    ['curr_estab_test', 'ESTABLISHED counter: CurrEstab parsed from real, cut and hostile snmp text; when it is trusted', 30, []],
  ];
  for (const [name, what, least, args] of programs) {
    it(what, () => {
      const { passed } = run(build(name), args);
      expect(passed).toBeGreaterThan(least);
    }, 120_000);
  }

  it.skipIf(process.getuid?.() !== 0)('another namespace: the read runs there and returns or throws as it did, the caller never moves, also where no thread can be started (root only)', () => {
    const { passed, output } = run(build('netns_test'));
    // Without a pids cgroup the thread-refused half says it was skipped.
    expect(passed).toBeGreaterThan(output.includes('skipped') ? 12 : 24);
  }, 120_000);

  it.skipIf(!inNetns)('netlink dump loop on live sockets (private namespace only)', () => {
    const { passed } = run(build('netlink_live_test'));
    expect(passed).toBeGreaterThan(200);
  }, 120_000);
});

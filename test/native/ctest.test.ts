// The native C++ tests (test/native/*_test.cc), built by CMake (-DSOCKSCOPE_TESTS=ON) from the
// same reader sources as the addon, and run one by one through ctest: each is a test here under
// its own name, failed by any failed check (the program's exit status) and skipped where the
// program says it cannot run (no root, no private network namespace).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const build = join(root, 'build-native-tests');
// The test programs are not instrumented: keep a sanitizer run's preload away from the tools.
const env = { ...process.env, LD_PRELOAD: '', ASAN_OPTIONS: '' };
const tool = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// Configuring is quick and registers the tests, so their names are known when vitest collects.
tool('cmake', ['-S', root, '-B', build, '-DSOCKSCOPE_TESTS=ON']);
const listed = JSON.parse(tool('ctest', ['--test-dir', build, '--show-only=json-v1'])) as { tests: { name: string }[] };
const names = listed.tests.map((t) => t.name);

describe('native tests (ctest)', () => {
  beforeAll(() => {
    tool('cmake', ['--build', build, '--parallel', '2']);
  }, 600_000);

  it('one ctest test per test/native/*_test.cc', () => {
    const programs = readdirSync(join(root, 'test/native')).filter((f) => f.endsWith('_test.cc'));
    expect([...names].sort()).toEqual(programs.map((f) => f.replace(/\.cc$/, '')).sort());
  });

  for (const name of names) {
    it(name, (ctx) => {
      const r = spawnSync('ctest', ['--test-dir', build, '-R', `^${name}$`, '--output-on-failure'], { env, encoding: 'utf8' });
      const output = `${r.stdout}${r.stderr}`;
      expect(r.status, output).toBe(0);
      expect(output).toMatch(/100% tests passed, 0 tests failed out of 1/);
      if (/\*\*\*Skipped/.test(output)) ctx.skip();
    }, 120_000);
  }
});

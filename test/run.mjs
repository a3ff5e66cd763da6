// `npm test`: builds the package (tsc), then runs vitest. The tests import src/ (vitest compiles
// it); the child processes and worker threads they start load the package by its own name, which
// resolves to this build, so it is never stale. As root where `unshare -n` works, the tests run
// inside a private network namespace, so the kernel tables hold only the tests' own sockets;
// elsewhere on the host's tables, saying so.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

function canUnshare() {
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return r.status === 0;
}

function run(cmd, argv, env) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
}

/** `tsc -p .`: a build that fails stops the run before any test. */
function build() {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error('sockscope tests: the TypeScript build failed; no test was run');
    process.exit(r.status ?? 1);
  }
}

if (process.env.SOCKSCOPE_TEST_BUILT === undefined) build();
if (process.env.SOCKSCOPE_TEST_NETNS === undefined) {
  if (canUnshare()) {
    console.log('sockscope tests: running in a private network namespace');
    run('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, self, ...args], {
      SOCKSCOPE_TEST_NETNS: '1',
      SOCKSCOPE_TEST_BUILT: '1',
    });
  }
  console.log('sockscope tests: no private network namespace here (needs root and unshare); using the host tables');
  process.env.SOCKSCOPE_TEST_NETNS = '0';
}
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
run(process.execPath, [vitest, 'run', ...args], {});

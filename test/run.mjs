// `npm test`: runs vitest. As root where `unshare -n` works, inside a private network namespace,
// so the kernel tables hold only the tests' own sockets; elsewhere on the host's tables, saying so.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);

function canUnshare() {
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return r.status === 0;
}

function run(cmd, argv, env) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
}

if (process.env.SOCKSCOPE_TEST_NETNS === undefined) {
  if (canUnshare()) {
    console.log('sockscope tests: running in a private network namespace');
    run('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, self, ...args], {
      SOCKSCOPE_TEST_NETNS: '1',
    });
  }
  console.log('sockscope tests: no private network namespace here (needs root and unshare); using the host tables');
  process.env.SOCKSCOPE_TEST_NETNS = '0';
}
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
run(process.execPath, [vitest, 'run', ...args], {});

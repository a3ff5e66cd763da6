// A private network namespace for the run, so the fixture's sockets are the whole table and
// its loopback traffic never touches the host's.
import { spawnSync, spawn } from 'node:child_process';

/** True if this process may make a network namespace (root and `unshare -n` working). */
export function canUnshare() {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Runs `node args...` in a fresh namespace with lo up; resolves with its exit code. */
export function runInNewNamespace(args) {
  const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...args], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => child.on('error', reject).on('exit', (code, sig) => resolve(sig ? 128 : code)));
}

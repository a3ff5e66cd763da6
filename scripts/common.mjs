// What the hardening scripts share: the repository root, `--seconds N`, and running a command.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `--seconds N` from the command line, or `fallback`. */
export function seconds(fallback) {
  const i = process.argv.indexOf('--seconds');
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!(n > 0)) throw new RangeError(`--seconds takes a positive number, not ${process.argv[i + 1]}`);
  return n;
}

/** Runs `cmd args` in the root with inherited output; exits with its status if it fails. */
export function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

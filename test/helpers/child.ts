// A read run in a child node: for a read that could hang (the test then fails by its timeout
// instead of hanging the suite) or that needs limits of its own (ulimit, a cgroup).
import { execFileSync } from 'node:child_process';

import { ROOT } from './netns.js';

/**
 * Runs `body`, the body of an async function in which `s` is the library, in a child node, and
 * returns what it returns (through JSON). `shell` runs first in the child's shell (`ulimit -v N`).
 */
export function inChild<T>(body: string, { timeoutMs = 20_000, shell = '' } = {}): T {
  const script = `const s = await import('sockscope');
    console.log(JSON.stringify(await (async () => { ${body} })()));`;
  const prefix = shell ? `${shell} && ` : '';
  const out = execFileSync('sh', ['-c', `${prefix}exec "$0" --input-type=module -e "$1"`, process.execPath, script], {
    cwd: ROOT, encoding: 'utf8', timeout: timeoutMs,
  });
  return JSON.parse(out) as T;
}

/** JS for the child: `attempt(f)` is f's result, or its error's code and message. */
export const ATTEMPT = `const attempt = async (f) => { try { return await f(); } catch (e) { return { code: e.code, errno: e.errno, message: e.message }; } };`;

/** JS for the child: `vm(field)` is a figure of its /proc/self/status in KiB (`VmSize`, `VmPeak`). */
export const VM = `const { readFileSync } = await import('node:fs'); const vm = (k) => Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(k + ':\\\\s+(\\\\d+)'))[1]);`;

// Private network namespaces for tests: a fixture process holds sockets in one, and commands run
// inside it through nsenter. Only where `npm test` found that namespaces are allowed.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The package's own description: its bin and main entries, as npm would install them. */
export const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; bin: { sockscope: string } };
/** The built command, as package.json's bin names it (`npm test` builds it first). */
export const CLI = path.join(ROOT, PACKAGE.bin.sockscope);

/** The fixture that holds TCP sockets in every state it can make (startInNetns's argv). */
export const ALL_STATES = ['python3', path.join(ROOT, 'test/fixtures/all_states.py')];

/** True when the suite runs in its own namespace, where nested ones may be made too. */
export const HAS_NETNS = process.env.SOCKSCOPE_TEST_NETNS === '1';

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export interface Fixture<T> {
  pid: number;
  made: T;
  /** Runs a command inside the fixture's namespace; returns its stdout, throwing on failure. */
  exec(cmd: string, args: string[]): string;
  stop(): Promise<void>;
}

/** Starts `argv` in a fresh namespace (lo up); its first stdout line is JSON describing what it made. */
export async function startInNetns<T>(argv: string[]): Promise<Fixture<T>> {
  const child: ChildProcessWithoutNullStreams = spawn(
    'unshare',
    ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...argv],
    { stdio: 'pipe' },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = readline.createInterface({ input: child.stdout });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error(`fixture ${argv.join(' ')} exited early: ${stderr}`);
    }),
  ])) as [string];
  const pid = child.pid!;
  return {
    pid,
    made: JSON.parse(first) as T,
    exec(cmd, args) {
      const r = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, cmd, ...args], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      lines.close();
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** Runs the CLI with `args`, in the fixture's namespace when given one, with `env` added. */
export function cli(args: string[], fixture?: Fixture<unknown>, env: Record<string, string> = {}) {
  const argv = fixture ? ['nsenter', `--net=/proc/${fixture.pid}/ns/net`, process.execPath, CLI, ...args]
    : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The packed package installs and runs where there is no compiler: `npm pack` with the linux-x64
// prebuild inside, installed offline into a project holding only its dependencies, on a PATH holding
// node, npm and a few basic tools but no cc, c++, make or python3; then the CLI and the API run from
// it and load the prebuild, not a build from source.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from '../helpers/netns.js';

const PREBUILD = 'prebuilds/linux-x64/node.napi.glibc.node';
const BASIC_TOOLS = ['sh', 'env', 'ls', 'cat', 'rm', 'mkdir', 'cp', 'mv', 'chmod', 'uname'];
const BUILD_TOOLS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'make', 'python3', 'python'];

/** The absolute path of `tool` on this PATH, or undefined. */
function which(tool: string, PATH = process.env.PATH ?? ''): string | undefined {
  return PATH.split(':').map((d) => path.join(d, tool)).find((f) => existsSync(f));
}

describe.skipIf(process.arch !== 'x64')('install without a compiler', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-install-'));
  const bin = path.join(tmp, 'bin');
  const app = path.join(tmp, 'app');
  // Without SOCKSCOPE_BINDING, which test:cmake and test:asan set: the installed package must find its own.
  const { SOCKSCOPE_BINDING: _override, ...inherited } = process.env;
  const env = { ...inherited, PATH: bin, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const inApp = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    mkdirSync(bin);
    mkdirSync(app);
    for (const tool of ['node', 'npm', 'npx', ...BASIC_TOOLS]) symlinkSync(which(tool)!, path.join(bin, tool));
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    // The runtime dependencies, already in place as npm installed them here: an offline install of
    // a tarball wants their full registry metadata, which npm's cache lacks after a lockfile
    // install, and the test's namespace has no network. Only sockscope itself is installed below.
    const deps = execFileSync('npm', ['ls', '--omit=dev', '--omit=peer', '--parseable', '--all'], { cwd: ROOT, encoding: 'utf8' });
    for (const dir of deps.split('\n').filter((d) => d.startsWith(path.join(ROOT, 'node_modules/'))))
      cpSync(dir, path.join(app, path.relative(ROOT, dir)), { recursive: true });
    server = net.createServer().listen({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('makes the linux-x64 prebuild (when older than the native sources)', () => {
    execFileSync(process.execPath, ['scripts/prebuild.mjs', 'x64', '--if-stale'], { cwd: ROOT, stdio: 'pipe', timeout: 150_000 });
    expect(existsSync(path.join(ROOT, PREBUILD))).toBe(true);
  }, 160_000);

  let tarball: string;
  it('packs it into the tarball, beside dist/ and the sources of the fallback build', () => {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000,
    });
    const [pack] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    const files = pack!.files.map((f) => f.path);
    expect(files).toContain(PREBUILD);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/cli/index.js', 'dist/metrics/otel.js', 'binding.gyp', 'native/addon.cc']));
    expect(files.filter((f) => f.startsWith('build/'))).toEqual([]);
    tarball = path.join(tmp, pack!.filename);
  }, 70_000);

  it('installs offline on a PATH without compiler, make or python, its install script finding the prebuild', () => {
    expect(BUILD_TOOLS.filter((t) => which(t, bin))).toEqual([]);
    // npm runs a dependency's install script only when allowed; allowed here, node-gyp-build must
    // find the prebuild loadable and build nothing. Not allowed, the loader finds it all the same.
    const r = inApp('npm', ['install', '--offline', '--foreground-scripts', '--dangerously-allow-all-scripts', tarball]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('> node-gyp-build\n');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/gyp (info|ERR)|make:|not found/);
    const installed = path.join(app, 'node_modules/sockscope');
    expect(existsSync(path.join(installed, PREBUILD))).toBe(true);
    expect(existsSync(path.join(installed, 'build'))).toBe(false); // no build from source was tried
  }, 70_000);

  it('runs the CLI: states --json and list -l', () => {
    const states = inApp('npx', ['--offline', 'sockscope', 'states', '--json']);
    expect(states.stderr).toBe('');
    expect(Object.keys(JSON.parse(states.stdout) as object)).toEqual([
      'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'total',
    ]);
    const list = inApp('npx', ['--offline', 'sockscope', 'list', '-l', '--sport', String(port), '--json']);
    expect(list.stderr).toBe('');
    const rows = JSON.parse(list.stdout) as { state: string; localAddress: string; localPort: number }[];
    expect(rows.map((r) => [r.state, r.localAddress, r.localPort])).toEqual([['LISTEN', '127.0.0.1', port]]);
  }, 60_000);

  it('runs the API, with the prebuild loaded', () => {
    const script = `import { snapshotSync } from 'sockscope';
      import { readFileSync } from 'node:fs';
      const t = snapshotSync({ states: ['LISTEN'], localPort: ${port} });
      const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((f) => f?.endsWith('.node'));
      console.log(JSON.stringify({ rows: t.toArray().map((r) => [r.state, r.localAddress, r.localPort]), mapped: [...new Set(mapped)] }));`;
    const r = inApp('node', ['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    const { rows, mapped } = JSON.parse(r.stdout) as { rows: unknown[]; mapped: string[] };
    expect(rows).toEqual([['LISTEN', '127.0.0.1', port]]);
    expect(mapped).toEqual([path.join(app, 'node_modules/sockscope', PREBUILD)]);
  }, 30_000);
});

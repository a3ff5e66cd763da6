// The cross-built linux-arm64 prebuild: an AArch64 ELF that asks for no newer glibc or libstdc++
// than stated in docs/install.md, and, where Debian's arm64 node is unpacked (scripts/arm64-node.sh)
// and qemu-user is installed, a binary that loads under emulation and reads the socket table.
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasCommand, ROOT } from '../helpers/netns.js';

const PREBUILD = path.join(ROOT, 'prebuilds/linux-arm64/node.napi.glibc.node');
const ARM64_ROOT = path.join(ROOT, 'build-qemu/arm64-root');
// Only where the cross compiler is already here: the tests run in a namespace without network,
// so need-tools.sh could not install it.
const canCross = process.arch === 'x64' && hasCommand('aarch64-linux-gnu-g++');

/** The newest of versions such as 2.17 and 2.34 (numerically, part by part). */
function newest(versions: string[]): string {
  const key = (v: string) => v.split('.').map(Number);
  return versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  }).at(-1)!;
}

describe.skipIf(!canCross || !hasCommand('readelf'))('linux-arm64 prebuild (skipped off x64, or without aarch64-linux-gnu-g++: npm run build:prebuilds installs it as root)', () => {
  it('is made by the cross compiler (when older than the native sources)', () => {
    execFileSync(process.execPath, ['scripts/prebuild.mjs', 'arm64', '--if-stale'], { cwd: ROOT, stdio: 'pipe', timeout: 150_000 });
    expect(existsSync(PREBUILD)).toBe(true);
  }, 160_000);

  it('is a 64-bit AArch64 shared object', () => {
    const header = execFileSync('readelf', ['-h', PREBUILD], { encoding: 'utf8' });
    expect(header).toMatch(/Class:\s+ELF64\n/);
    expect(header).toMatch(/Type:\s+DYN \(Shared object file\)\n/);
    expect(header).toMatch(/Machine:\s+AArch64\n/);
  });

  it('needs only libc, libm, libgcc_s and libstdc++, at most glibc 2.34 and GLIBCXX 3.4.30', () => {
    const dynamic = execFileSync('readelf', ['-d', PREBUILD], { encoding: 'utf8' });
    expect([...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]).sort()).toEqual(
      ['libc.so.6', 'libgcc_s.so.1', 'libm.so.6', 'libstdc++.so.6'],
    );
    const needs = execFileSync('readelf', ['-V', PREBUILD], { encoding: 'utf8' });
    const of = (lib: string) => [...needs.matchAll(new RegExp(`Name: ${lib}_([0-9.]+)`, 'g'))].map((m) => m[1]!);
    expect(newest(of('GLIBC'))).toBe('2.34');
    expect(newest(of('GLIBCXX'))).toBe('3.4.30');
  });

  describe.skipIf(!hasCommand('qemu-aarch64') || !existsSync(path.join(ARM64_ROOT, 'usr/bin/node')))(
    'under qemu-aarch64 with Debian\'s arm64 node (skipped until scripts/arm64-node.sh has unpacked it)',
    () => {
      let server: net.Server;
      let port: number;
      beforeAll(async () => {
        server = net.createServer().listen({ host: '127.0.0.1', port: 0 });
        await once(server, 'listening');
        port = (server.address() as net.AddressInfo).port;
      });
      afterAll(() => server?.close());

      it('loads and reads /proc/net/tcp: finds this test\'s listener', () => {
        // qemu-user forwards no NETLINK_SOCK_DIAG socket (EPROTONOSUPPORT), so the read is /proc's.
        const script = `const s = await import('sockscope');
          const t = s.snapshotSync({ source: 'proc', states: ['LISTEN'], localPort: ${port} });
          const { readFileSync } = await import('node:fs');
          const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((f) => f?.endsWith('.node'));
          console.log(JSON.stringify({ arch: process.arch, rows: t.toArray().map((r) => [r.state, r.localAddress, r.localPort]), mapped: [...new Set(mapped)] }));`;
        const r = spawnSync('qemu-aarch64', ['-L', ARM64_ROOT, path.join(ARM64_ROOT, 'usr/bin/node'), '--input-type=module', '-e', script], {
          // The package by its own name from the repo root; no sanitizer runtime (an x64 one when the
          // suite runs under ASan) preloaded into the arm64 process.
          cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...withoutPreload(process.env), SOCKSCOPE_BINDING: PREBUILD },
        });
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout)).toEqual({ arch: 'arm64', rows: [['LISTEN', '127.0.0.1', port]], mapped: [PREBUILD] });
      }, 70_000);
    },
  );
});

function withoutPreload(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, ...rest } = env;
  return rest;
}

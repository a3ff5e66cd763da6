// The loader's one error: a binary that cannot be loaded says what was tried and how to build.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ROOT } from '../helpers/netns.js';

/** Loads the built loader in a child with `env` added; returns the message it throws, or the .node files mapped. */
function loadError(env: Record<string, string>): string {
  const mapped = `[...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((f) => f?.endsWith('.node')))].join(' ')`;
  // The loader beside the package's entry, found by the package's own name from the repo root.
  const script = `import { readFileSync } from 'node:fs';
    import(new URL('./binding.js', import.meta.resolve('sockscope'))).then((m) => m.binding()).then(() => console.log(${mapped}), (e) => console.log(e.message));`;
  const { SOCKSCOPE_BINDING: _override, ...inherited } = process.env; // set by test:cmake and test:asan
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...inherited, ...env } });
  return r.stdout.trimEnd();
}

describe('binding()', () => {
  it('names the SOCKSCOPE_BINDING file it could not load, and how to build', () => {
    expect(loadError({ SOCKSCOPE_BINDING: '/nonexistent/sockscope.node' }).split('\n')).toEqual([
      'sockscope: could not load the native addon.',
      'Prebuilt binaries cover Linux x64 and arm64 with glibc; elsewhere it builds from source.',
      'Build it with `npm rebuild sockscope --build-from-source` (needs python3, make and a C++17 compiler).',
      "Tried: /nonexistent/sockscope.node: Cannot find module '/nonexistent/sockscope.node'",
    ]);
  });

  it('says what node-gyp-build looked for when nothing matches', () => {
    // node-gyp-build reads <NAME>_PREBUILD as the directory to look in; an empty one has nothing.
    const message = loadError({ SOCKSCOPE_PREBUILD: '/nonexistent' });
    expect(message.split('\n').at(-1)).toMatch(
      /^Tried: No native build was found for platform=linux arch=\w+ runtime=node abi=\d+ uv=\d+ (armv=\d+ )?libc=glibc node=[\d.]+; loaded from: \/nonexistent$/,
    );
  });

  it('loads build/Release in a source tree, before any prebuild', () => {
    expect(loadError({})).toBe(path.join(ROOT, 'build/Release/sockscope.node'));
  });
});

// The one place that finds and loads the native addon.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import type { NativeBinding } from './native-types.js';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** node-gyp-build's resolver: the file it would load from a package directory, or a throw saying what it looked for. */
type ResolveBinary = (dir: string) => string;

let cached: NativeBinding | undefined;

/**
 * Where the addon is: SOCKSCOPE_BINDING (a path, for the CMake and ASan builds) when set; else as
 * node-gyp-build finds it: build/Release, then build/Debug (a build from source, always meant when
 * present), then the prebuild under prebuilds/ that matches this platform, architecture and libc.
 */
function locate(): string {
  const override = process.env.SOCKSCOPE_BINDING;
  if (override) return path.resolve(root, override);
  return (require('node-gyp-build') as { path: ResolveBinary }).path(root);
}

/** Loads the addon once, or throws one error that says what was tried and what to do. */
export function binding(): NativeBinding {
  if (cached) return cached;
  let tried: string;
  try {
    const file = locate();
    try {
      cached = require(file) as NativeBinding;
      return cached;
    } catch (err) {
      tried = `${file}: ${(err as Error).message.split('\n')[0]}`;
    }
  } catch (err) {
    tried = (err as Error).message
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .join('; ');
  }
  throw new Error(
    [
      'sockscope: could not load the native addon.',
      process.platform !== 'linux' ? `It runs on Linux only (this is ${process.platform}).` : '',
      'Prebuilt binaries cover Linux x64 and arm64 with glibc; elsewhere it builds from source.',
      'Build it with `npm rebuild sockscope --build-from-source` (needs python3, make and a C++17 compiler).',
      `Tried: ${tried}`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

// The one place that finds and loads the native addon.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import type { NativeBinding } from './native-types.js';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const candidates = ['build/Release/sockscope.node', 'build/Debug/sockscope.node'];

let cached: NativeBinding | undefined;

/** Loads the addon once: SOCKSCOPE_BINDING (a path) first, then build/Release, then build/Debug. */
export function binding(): NativeBinding {
  if (cached) return cached;
  const tried: string[] = [];
  const override = process.env.SOCKSCOPE_BINDING;
  for (const rel of override ? [override] : candidates) {
    const file = path.resolve(root, rel);
    try {
      cached = require(file) as NativeBinding;
      return cached;
    } catch (err) {
      tried.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    [
      'sockscope: could not load the native addon.',
      process.platform !== 'linux' ? `It runs on Linux only (this is ${process.platform}).` : '',
      'Build it with `npm rebuild sockscope` (needs python3, make and a C++17 compiler).',
      'Tried:',
      ...tried.map((t) => `  ${t}`),
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

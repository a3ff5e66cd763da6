// Builds the C floor with the system compiler into bench/build/ (never committed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./nl_count.c', import.meta.url));
export const FLOOR_BINARY = fileURLToPath(new URL('../build/nl_count', import.meta.url));

const mtime = (f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** Compiles nl_count unless the binary is newer than its source; returns its path. */
export function buildFloor() {
  if (mtime(FLOOR_BINARY) > mtime(SOURCE)) return FLOOR_BINARY;
  mkdirSync(new URL('../build/', import.meta.url), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', FLOOR_BINARY, SOURCE], { stdio: 'inherit' });
  return FLOOR_BINARY;
}

// Builds the C floor programs with the system compiler into bench/build/ (never committed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const mtime = (f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** Compiles bench/floor/<name>.c unless the binary is newer than its source; returns its path. */
export function buildFloorProgram(name) {
  const source = fileURLToPath(new URL(`./${name}.c`, import.meta.url));
  const binary = fileURLToPath(new URL(`../build/${name}`, import.meta.url));
  if (mtime(binary) > mtime(source)) return binary;
  mkdirSync(new URL('../build/', import.meta.url), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-pthread', '-o', binary, source], { stdio: 'inherit' });
  return binary;
}

/** The netlink floor, nl_count. */
export const buildFloor = () => buildFloorProgram('nl_count');

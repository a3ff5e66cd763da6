// Small /proc text files (counters, sysctls) read whole, with fs errors made SockscopeErrors that
// read like the addon's: "open /proc/net/netstat: No such file or directory", code ENOENT.
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getSystemErrorMap } from 'node:util';

import { SockscopeError } from './errors.js';

function fromFsError(err: unknown, file: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || typeof e.errno !== 'number') return err;
  const text = getSystemErrorMap().get(e.errno)?.[1] ?? e.code;
  const syscall = e.syscall ?? 'open';
  return new SockscopeError(`${syscall} ${file}: ${text[0]!.toUpperCase()}${text.slice(1)}`, e.code, e.errno, syscall);
}

/** Reads `file` on the threadpool (fs promises), never blocking the event loop. */
export async function readProcFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'latin1');
  } catch (err) {
    throw fromFsError(err, file);
  }
}

/** Reads `file` on the calling thread. */
export function readProcFileSync(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (err) {
    throw fromFsError(err, file);
  }
}

/**
 * Like Promise.all, but a failure is the first in list order rather than the first in time, so
 * that the same fault gives the same error on every call (an exporter logs each distinct one).
 */
export async function allInOrder<T>(reads: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(reads);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

// Small /proc text files (counters, sysctls) read whole, with fs errors made SockscopeErrors that
// read like the addon's: "open /proc/net/netstat: No such file or directory", code ENOENT.
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { getSystemErrorMap } from 'node:util';

import { SockscopeError } from './errors.js';

function fromFsError(err: unknown, file: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof SockscopeError || typeof e?.code !== 'string' || typeof e.errno !== 'number') return err;
  const text = getSystemErrorMap().get(e.errno)?.[1] ?? e.code;
  const syscall = e.syscall ?? 'open';
  return new SockscopeError(`${syscall} ${file}: ${text[0]!.toUpperCase()}${text.slice(1)}`, e.code, e.errno, syscall);
}

// O_NONBLOCK keeps the open of a FIFO from waiting for a writer; it changes nothing for a regular
// file, as /proc's are.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/**
 * A FIFO or a device in place of a counter file would block the read, or never end (/dev/zero):
 * refused as the native readers refuse them. A directory goes on to fail its read with EISDIR.
 */
function checkRegular(stat: fs.Stats, file: string): void {
  if (!stat.isFile() && !stat.isDirectory()) {
    throw new SockscopeError(`open ${file}: not a regular file`, 'EINVAL', -22, 'open');
  }
}

/** Reads `file` on the threadpool (fs promises), never blocking the event loop. */
export async function readProcFile(file: string): Promise<string> {
  try {
    const handle = await open(file, OPEN_FLAGS);
    try {
      checkRegular(await handle.stat(), file);
      return await handle.readFile('latin1');
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw fromFsError(err, file);
  }
}

/** Reads `file` on the calling thread. */
export function readProcFileSync(file: string): string {
  try {
    const fd = fs.openSync(file, OPEN_FLAGS);
    try {
      checkRegular(fs.fstatSync(fd), file);
      return fs.readFileSync(fd, 'latin1');
    } finally {
      fs.closeSync(fd);
    }
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

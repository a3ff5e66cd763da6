// Temporary directories of /proc/net-style table files (or /proc/sys files), fed to the readers
// through procRoot (or sysRoot).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

/** A sockstat that claims billions of TCP sockets: a reader that believed it would size its columns for them. */
export const HUGE_SOCKSTAT = 'sockets: used 1\nTCP: inuse 99999999999 orphan 0 tw 99999999999 alloc 1 mem 0\n';

/** A LISTEN row on 127.0.0.1 with the given slot, port and inode, as the kernel prints it. */
export function listenLine(slot: number, port: number, inode: number): string {
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  return `${String(slot).padStart(4)}: 0100007F:${hex(port, 4)} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Writes `files` (relative path → bytes) into a fresh directory, removed after the test file. */
export function procDir(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-proc-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

/** A sysRoot for the doctor: each sysctl file (`net/core/somaxconn`) holding its value and a newline. */
export function sysDir(values: Record<string, string>): string {
  return procDir(Object.fromEntries(Object.entries(values).map(([file, value]) => [file, `${value}
`])));
}

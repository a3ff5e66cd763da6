// Socket owners (snapshot's `processes: true`): the processes holding each socket open, as `ss -p`
// shows them. Found natively in one pass over /proc; kept columnar, made into objects per row read.
import type { NativeOwners, NativeRequest } from './native-types.js';
import { checkBoolean, checkObject, checkString } from './validate.js';

/** One process holding a socket open, at one file descriptor. */
export interface SocketOwner {
  pid: number;
  /** The file descriptor number in that process. */
  fd: number;
  /** `/proc/<pid>/comm`: the name, at most 15 bytes; empty if the process exited before it was read. */
  command: string;
}

/** How the scan over /proc went. */
export interface ProcessScan {
  /** Processes whose open files were read. */
  scanned: number;
  /** Processes that could not be read (EACCES: another user's, without privilege) or exited meanwhile. */
  skipped: number;
}

/** What snapshot() and snapshotSync() take besides the read options. */
export interface ProcessOptions {
  /** Also find each socket's owning processes (`table.owners`, `row.owners`). @default false */
  processes?: boolean;
  /** Where the process directories are, e.g. the host's /proc mounted in a container. @default '/proc' */
  processRoot?: string;
}

export const PROCESS_OPTION_NAMES = ['processes', 'processRoot'] as const;

/** Validates the process options of `options` into the addon's request fields. */
export function processRequest(options: unknown): Pick<NativeRequest, 'processes' | 'processRoot'> {
  const o = checkObject(options, 'options');
  const processes = checkBoolean(o.processes, 'processes', false);
  const processRoot = o.processRoot === undefined ? '/proc' : checkString(o.processRoot, 'processRoot');
  return { processes, processRoot };
}

/**
 * The owners of every row, columnar: row i's owners are entries `start[i]` to `start[i + 1]` of
 * `pid` and `fd`. TIME_WAIT and request sockets (SYN_RECV) have no file, so they have no owner.
 */
export class SocketOwners {
  readonly start: Uint32Array;
  readonly pid: Int32Array;
  readonly fd: Int32Array;
  readonly scan: ProcessScan;
  readonly #commands: Map<number, string>;

  constructor(native: NativeOwners) {
    this.start = native.start;
    this.pid = native.pid;
    this.fd = native.fd;
    this.scan = { scanned: native.scanned, skipped: native.skipped };
    this.#commands = new Map(native.command.map((c, i) => [native.commandPid[i]!, c]));
  }

  /** The command of a pid that owns a socket of the table. */
  command(pid: number): string | undefined {
    return this.#commands.get(pid);
  }

  /** Row `row`'s owners, in /proc order. */
  of(row: number): SocketOwner[] {
    const out: SocketOwner[] = [];
    for (let k = this.start[row]!; k < this.start[row + 1]!; k++) {
      out.push({ pid: this.pid[k]!, fd: this.fd[k]!, command: this.#commands.get(this.pid[k]!) ?? '' });
    }
    return out;
  }
}

/** As `ss -p` prints them: `users:(("node",pid=12,fd=3),...)`, or nothing without owners. */
export function formatOwners(owners: readonly SocketOwner[] | undefined): string {
  if (!owners?.length) return '';
  return `users:(${owners.map((o) => `(${JSON.stringify(o.command)},pid=${o.pid},fd=${o.fd})`).join(',')})`;
}

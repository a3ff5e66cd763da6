// Text output for the CLI: the shapes ss, netstat and uniq -c print.
import type { SocketRow } from './table.js';
import { TCP_STATES, type StateCounts } from './states.js';

/** `uniq -c` style: count right-aligned in 7 columns, then the state; non-zero states by name. */
export function formatStateCounts(counts: StateCounts): string {
  return [...TCP_STATES]
    .filter((s) => counts[s] > 0)
    .sort()
    .map((s) => `${String(counts[s]).padStart(7)} ${s}`)
    .join('\n');
}

/** `addr:port` as ss prints it: IPv6 in brackets, port 0 as `*`. */
export function endpoint(address: string, port: number, proto: string): string {
  const host = proto.endsWith('6') ? `[${address}]` : address;
  return `${host}:${port === 0 ? '*' : port}`;
}

export interface Column<T> {
  title: string;
  value: (row: T) => string;
  right?: boolean;
}

/** A left/right aligned text table, columns sized to their widest cell. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join(' ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

/** The columns of `ss -tan` (with Netid first when TCP and UDP are mixed, as ss does). */
export function socketColumns(withNetid: boolean, extended: boolean): Column<SocketRow>[] {
  const cols: Column<SocketRow>[] = [
    { title: 'State', value: (r) => r.state },
    { title: 'Recv-Q', value: (r) => String(r.recvQ), right: true },
    { title: 'Send-Q', value: (r) => String(r.sendQ), right: true },
    { title: 'Local Address:Port', value: (r) => endpoint(r.localAddress, r.localPort, r.proto) },
    { title: 'Peer Address:Port', value: (r) => endpoint(r.remoteAddress, r.remotePort, r.proto) },
  ];
  if (withNetid) cols.unshift({ title: 'Netid', value: (r) => r.proto.replace('6', '') });
  if (extended) {
    cols.push(
      { title: 'Uid', value: (r) => String(r.uid), right: true },
      { title: 'Inode', value: (r) => String(r.inode), right: true },
    );
  }
  return cols;
}

/** ss's names of the kernel's timer kinds; `probe` (the zero-window probe) is ss's `persist`. */
const SS_TIMER_NAMES: Record<string, string> = { on: 'on', keepalive: 'keepalive', timewait: 'timewait', probe: 'persist' };

/**
 * A time in milliseconds as ss's print_ms_timer writes it: `9min`, `59sec`, `200ms`, `1.600sec`,
 * `1min30sec`; minutes drop the seconds from 10 on and the milliseconds always, seconds drop the
 * milliseconds from 10 on. (ss before iproute2 6.11 wrote `1.600ms` for 1.6 s.)
 */
export function formatMsTimer(timeout: number): string {
  const minutes = Math.floor(timeout / 60000);
  let secs = Math.floor(timeout / 1000) % 60;
  let msecs = timeout % 1000;
  let out = '';
  if (minutes) {
    msecs = 0;
    out = `${minutes}min`;
    if (minutes > 9) secs = 0;
  }
  if (secs) {
    if (secs > 9) msecs = 0;
    out += `${secs}${msecs ? '.' : 'sec'}`;
  }
  if (msecs) out += `${String(msecs).padStart(3, '0')}${secs ? 'sec' : 'ms'}`;
  return out;
}

/** `timer:(keepalive,9min,0)` as ss -o prints a socket's timer, or '' when none runs. */
export function formatTimer(row: Pick<SocketRow, 'timer' | 'timerExpires' | 'retransmits'>): string {
  const name = SS_TIMER_NAMES[row.timer];
  return name ? `timer:(${name},${formatMsTimer(row.timerExpires)},${row.retransmits})` : '';
}

// `sockscope list -s`: the summary `ss -s` prints, from /proc/net/sockstat{,6} and Tcp CurrEstab.
import { netstatCounters } from '../counters.js';
import { sockstat, type Sockstat } from '../sockstat.js';
import type { Flags } from './args.js';

const field = (s: Sockstat, group: string, name: string): number => s[group]?.[name] ?? 0;

/** One line of ss's transport table: `NAME\t  TOTAL     IP        IPv6     ` (%-9d, as ss). */
function transportLine(name: string, v4: number, v6: number): string {
  return `${name}\t  ${String(v4 + v6).padEnd(9)} ${String(v4).padEnd(9)} ${String(v6).padEnd(9)}`;
}

/**
 * ss's print_summary: TCP's total is its allocated sockets plus TIME_WAIT, `closed` those
 * allocated but in no hash table, `estab` the CurrEstab counter. The figures are the read
 * namespace's, but for `Total`, which is the host's sockets in use.
 */
export function formatSummary(s: Sockstat, currEstab: number): string {
  const tcp4 = field(s, 'TCP', 'inuse');
  const tcp6 = field(s, 'TCP6', 'inuse');
  const tw = field(s, 'TCP', 'tw');
  const alloc = field(s, 'TCP', 'alloc');
  const [raw4, raw6, udp4, udp6] = [field(s, 'RAW', 'inuse'), field(s, 'RAW6', 'inuse'), field(s, 'UDP', 'inuse'), field(s, 'UDP6', 'inuse')];
  return [
    `Total: ${field(s, 'sockets', 'used')}`,
    `TCP:   ${alloc + tw} (estab ${currEstab}, closed ${alloc - (tcp4 + tcp6 - tw)}, orphaned ${field(s, 'TCP', 'orphan')}, timewait ${tw})`,
    '',
    'Transport Total     IP        IPv6',
    transportLine('RAW', raw4, raw6),
    transportLine('UDP', udp4, udp6),
    transportLine('TCP', tcp4, tcp6),
    transportLine('INET', raw4 + udp4 + tcp4, raw6 + udp6 + tcp6),
    transportLine('FRAG', field(s, 'FRAG', 'inuse'), field(s, 'FRAG6', 'inuse')),
    '',
  ].join('\n');
}

export async function summary(f: Flags): Promise<string> {
  const options = f['proc-root'] === undefined ? {} : { procRoot: f['proc-root'] };
  const [stat, counters] = await Promise.all([sockstat(options), netstatCounters(options)]);
  return formatSummary(stat, counters.Tcp?.CurrEstab ?? 0);
}

// `sockscope top`: socket counts by key, largest first, as `ss | awk | sort | uniq -c | sort -nr`.
import { countBy, GROUP_KEYS, type CountByOptions, type CountByResult, type GroupCount, type GroupKey } from '../count-by.js';
import { positive, readOptions, tcpProtocols, UsageError, type Flags } from './args.js';
import { stateArg } from './list.js';

function keysArg(text: string | undefined): GroupKey[] {
  const keys = (text ?? 'remoteAddress').split(',');
  for (const k of keys) {
    if (!(GROUP_KEYS as readonly string[]).includes(k)) throw new UsageError(`--by takes keys of ${GROUP_KEYS.join(', ')}, not "${k}"`);
  }
  return keys as GroupKey[];
}

/** The options `top` reads with: --by, --prefix (IPv4 /N; IPv6 keeps /64), --top and the read flags. */
export function topOptions(f: Flags): CountByOptions {
  const o: CountByOptions = { ...readOptions(f, tcpProtocols(f), f.state?.map(stateArg)), by: keysArg(f.by) };
  if (f.prefix !== undefined) o.prefix4 = positive(f.prefix, '--prefix', 24, true);
  o.top = positive(f.top, '--top', 20, true);
  return o;
}

/** One line per group: the count right-aligned, then each key's value in --by's order. */
export function formatTop(r: CountByResult, keys: readonly GroupKey[]): string {
  const width = Math.max(7, String(r.total).length + 1);
  const lines = r.flatMap((g) => {
    if (!('other' in g)) return [`${String(g.count).padStart(width)} ${keys.map((k) => String((g as GroupCount)[k])).join(' ')}`];
    return g.groups ? [`${String(g.count).padStart(width)} other (${g.groups} groups)`] : [];
  });
  lines.push(`${String(r.total).padStart(width)} total`);
  return lines.join('\n');
}

export async function top(f: Flags): Promise<string> {
  const options = topOptions(f);
  const r = await countBy(options);
  return f.json ? JSON.stringify([...r], null, 2) : formatTop(r, options.by as GroupKey[]);
}

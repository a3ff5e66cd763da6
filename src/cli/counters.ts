// `sockscope counters [PATTERN]`: every kernel counter as `nstat -az` names it, those matching PATTERN.
import { netstatCounters, type NetstatCounters } from '../counters.js';
import { invalid } from '../validate.js';
import type { Flags } from './args.js';

/** nstat's names: group and counter run together, `TcpExtListenOverflows`. */
function nstatNames(all: NetstatCounters): [string, number][] {
  return Object.entries(all).flatMap(([group, fields]) =>
    Object.entries(fields).map(([name, value]): [string, number] => [`${group}${name}`, value]),
  );
}

function patternOf(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern, 'i');
  } catch {
    throw invalid(RangeError, 'a regular expression', 'PATTERN', pattern);
  }
}

export async function counters(f: Flags, pattern?: string): Promise<string> {
  const match = patternOf(pattern);
  const procRoot = f['proc-root'];
  const all = await netstatCounters(procRoot === undefined ? {} : { procRoot });
  const rows = nstatNames(all).filter(([name]) => !match || match.test(name));
  if (f.json) return JSON.stringify(Object.fromEntries(rows), null, 2);
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)} ${value}`).join('\n');
}

// /proc/net/sockstat and sockstat6: sockets in use per protocol, what `ss -s` prints.
import path from 'node:path';

import { parseError, procRootOf, type CounterOptions } from './counters.js';
import { SockscopeError } from './errors.js';
import { readProcFile } from './proc-files.js';

/**
 * Gauges by group and name: `sockets.used`; `TCP.inuse`, `orphan`, `tw` (TIME_WAIT), `alloc`,
 * `mem` (pages); `UDP`, `UDPLITE`, `RAW`, `FRAG` (`inuse`, `memory` in bytes); and from
 * sockstat6 `TCP6`, `UDP6`, `UDPLITE6`, `RAW6`, `FRAG6`.
 */
export type Sockstat = Record<string, Record<string, number>>;

/** Parses "GROUP: name value name value ..." lines into `into`. */
export function parseSockstat(text: string, file: string, into: Sockstat): void {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const m = /^(\w+):((?: \S+ -?\d+)+) *$/.exec(line);
    if (!m) throw parseError(file, i + 1, `expected "GROUP: name value ..." but found ${JSON.stringify(line)}`);
    const group = m[1]!;
    if (Object.hasOwn(into, group)) throw parseError(file, i + 1, `group ${group} appears twice`);
    const tokens = m[2]!.split(' ').slice(1);
    const fields: Record<string, number> = {};
    for (let k = 0; k < tokens.length; k += 2) fields[tokens[k]!] = Number(tokens[k + 1]);
    into[group] = fields;
  });
}

/**
 * Sockets in use per protocol, from `/proc/net/sockstat` and `sockstat6` (skipped when missing:
 * IPv6 disabled). Per network namespace, but `sockets.used` and the memory figures are the host's.
 *
 * @throws SockscopeError `ERR_COUNTERS_PARSE` naming file and line; the errno code when
 *   `sockstat` cannot be read.
 */
export async function sockstat(options?: CounterOptions): Promise<Sockstat> {
  const root = procRootOf(options, 'sockstat');
  const out: Sockstat = {};
  const v4 = path.join(root, 'sockstat');
  const v6 = path.join(root, 'sockstat6');
  const [text4, text6] = await Promise.all([
    readProcFile(v4),
    readProcFile(v6).catch((err: unknown) => {
      if (err instanceof SockscopeError && err.code === 'ENOENT') return '';
      throw err;
    }),
  ]);
  parseSockstat(text4, v4, out);
  parseSockstat(text6, v6, out);
  return out;
}

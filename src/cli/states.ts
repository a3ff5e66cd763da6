// `sockscope states`: per-state TCP counts, as netstat -an | awk | sort | uniq -c.
import { formatStateCounts } from '../format.js';
import { countStates } from '../read.js';
import { readOptions, tcpProtocols, type Flags } from './args.js';

export async function states(f: Flags): Promise<string> {
  const counts = await countStates(readOptions(f, tcpProtocols(f)));
  return f.json ? JSON.stringify(counts, null, 2) : formatStateCounts(counts);
}

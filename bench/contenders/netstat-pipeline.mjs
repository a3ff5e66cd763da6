// The classic one-liner for per-state counts, spawned through a shell and parsed.
import { spawnText, sumCounts } from './spawn-text.mjs';
import { toolLimit } from './large-n.mjs';

const PIPELINE = "netstat -an | awk '/tcp/ {print $6}' | sort | uniq -c";

/** { STATE: count } from `uniq -c` lines. */
export function parseUniqCounts(text) {
  const counts = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (m) counts[m[2]] = Number(m[1]);
  }
  return counts;
}

export default {
  id: 'netstat-pipeline',
  label: 'netstat | awk | sort | uniq -c',
  kind: 'tool',
  ...toolLimit,
  prepare: () => ({ run: async () => parseUniqCounts(await spawnText('sh', ['-c', PIPELINE])), count: sumCounts }),
};

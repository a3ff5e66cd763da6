// `ss -s`: the kernel's own counters (sockstat), no walk of the table, so no per-state detail.
import { spawnText } from './spawn-text.mjs';

/** The TCP line of `ss -s`: { total, estab, closed, orphaned, timewait }. */
export function parseSsSummary(text) {
  const m = /^TCP:\s+(\d+) \(estab (\d+), closed (\d+), orphaned (\d+), timewait (\d+)\)/m.exec(text);
  if (!m) throw new Error(`no TCP line in ss -s output: ${text.slice(0, 200)}`);
  const [total, estab, closed, orphaned, timewait] = m.slice(1).map(Number);
  return { total, estab, closed, orphaned, timewait };
}

export default {
  id: 'ss-s',
  label: 'ss -s (spawn, counters only)',
  kind: 'tool',
  prepare: () => ({ run: async () => parseSsSummary(await spawnText('ss', ['-s'])), count: (s) => s.total }),
};

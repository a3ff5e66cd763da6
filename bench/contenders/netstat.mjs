// `netstat -ant` spawned and parsed to rows: what a script that wants the table does today.
import { spawnText } from './spawn-text.mjs';
import { toolLimit } from './large-n.mjs';

/** Rows of netstat's TCP lines: proto recv-q send-q local foreign state. */
export function parseNetstat(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('tcp')) continue;
    const [proto, recvQ, sendQ, local, foreign, state] = line.split(/\s+/);
    rows.push({ proto, recvQ: Number(recvQ), sendQ: Number(sendQ), local, foreign, state });
  }
  return rows;
}

export default {
  id: 'netstat',
  label: 'netstat -ant (spawn+parse)',
  kind: 'tool',
  ...toolLimit,
  prepare: () => ({ run: async () => parseNetstat(await spawnText('netstat', ['-ant'])), count: (rows) => rows.length }),
};

// `ss -tan` spawned and parsed to rows (ss reads netlink, but prints text for us to parse).
import { spawnText } from './spawn-text.mjs';
import { toolLimit } from './large-n.mjs';

/** Rows of ss's output: state recv-q send-q local peer. */
export function parseSs(text) {
  const lines = text.split('\n');
  const rows = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const [state, recvQ, sendQ, local, peer] = lines[i].split(/\s+/);
    rows.push({ state, recvQ: Number(recvQ), sendQ: Number(sendQ), local, peer });
  }
  return rows;
}

export default {
  id: 'ss-tan',
  label: 'ss -tan (spawn+parse)',
  kind: 'tool',
  ...toolLimit,
  prepare: () => ({ run: async () => parseSs(await spawnText('ss', ['-tan'])), count: (rows) => rows.length }),
};

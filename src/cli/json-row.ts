// A socket row as the CLI prints it in JSON (list --json/--ndjson, and the overview's listeners).
import type { SocketRow } from '../table.js';
import type { Flags } from './args.js';

/** The row keys the CLI prints as JSON; cookie, info, memory and (-o) the timer when asked for. */
export function jsonRow(r: SocketRow, f: Flags = {}) {
  const { proto, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode, owners } = r;
  return {
    ...{ proto, state, localAddress, localPort, remoteAddress, remotePort, recvQ, sendQ, uid, inode },
    ...(f.options ? { timer: r.timer, timerExpires: r.timerExpires, retransmits: r.retransmits } : {}),
    ...(f.extended && r.cookie !== undefined ? { cookie: r.cookie } : {}),
    ...(f.info && r.info ? { info: r.info } : {}),
    ...(f.memory && r.memory ? { memory: r.memory } : {}),
    ...(owners && { owners }),
  };
}

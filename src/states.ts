// TCP states as the kernel numbers them (include/net/tcp_states.h) and netstat spells them.

export const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
] as const;

/** A TCP state as netstat prints it. */
export type TcpState = (typeof TCP_STATES)[number];

/** Kernel state number (1 = ESTABLISHED ... 11 = CLOSING) of a state name. */
export function stateNumber(name: TcpState): number {
  return TCP_STATES.indexOf(name) + 1;
}

/** The name of kernel state `n`. A UDP socket in state CLOSE is unconnected: `UNCONN`, as ss says. */
export function stateName(n: number, protocol: number): string {
  if (protocol === 17 && n === 7) return 'UNCONN';
  return TCP_STATES[n - 1] ?? `UNKNOWN(${n})`;
}

/** Per-state counts with every state present, zeros included, and their total. */
export type StateCounts = Record<TcpState, number> & { total: number };

/** Builds StateCounts from counts indexed by kernel state number. */
export function toStateCounts(byNumber: ArrayLike<number>): StateCounts {
  const out = {} as StateCounts;
  let total = 0;
  TCP_STATES.forEach((name, i) => {
    const n = byNumber[i + 1] ?? 0;
    out[name] = n;
    total += n;
  });
  out.total = total;
  return out;
}

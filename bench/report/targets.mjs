// The library's performance targets, judged at the largest N measured.

const median = (id) => (round) => round.results[id]?.median;
const field = (id, key) => (round) => round.results[id]?.[key];
/** How many times `a` takes as long as `b`. */
const ratio = (a, b) => (round) => {
  const x = round.results[a]?.median;
  const y = round.results[b]?.median;
  return x === undefined || y === undefined ? undefined : x / y;
};
// The longest event-loop gap during an async call, beyond the longest gap of an idle wait as long
// as the call, measured by the same probe in the same process: what the call adds.
const longestAsyncBlock = (round) => {
  const blocks = Object.values(round.results)
    .filter((r) => r.kind === 'library' && r.maxBlockMs !== undefined)
    .map((r) => Math.max(0, r.maxBlockMs - (r.idleBlockMs ?? 0)));
  return blocks.length ? Math.max(...blocks) : undefined;
};

// max: value must be at most `limit` (below it, if strict); min: at least.
export const TARGETS = [
  { text: 'countStates netlink ≤ 1.10× C floor', value: ratio('countStates-netlink', 'floor'), max: 1.1, unit: '×' },
  { text: 'full netlink table (snapshot) ≤ 1.35× C floor', value: ratio('snapshot-netlink', 'floor'), max: 1.35, unit: '×' },
  { text: 'countStates netlink ≥ 5× faster than the netstat pipeline', value: ratio('netstat-pipeline', 'countStates-netlink'), min: 5, unit: '×' },
  { text: 'snapshot netlink ≥ 3× faster than spawning ss -tan', value: ratio('ss-tan', 'snapshot-netlink'), min: 3, unit: '×' },
  { text: 'snapshot proc ≤ 1.10× bare read', value: ratio('snapshot-proc', 'bare-read'), max: 1.1, unit: '×' },
  { text: 'listenQueues < 1 ms', value: median('listenQueues'), max: 1, strict: true, unit: ' ms' },
  { text: 'no async library call blocks the event loop > 1 ms (beyond an idle wait\'s gaps)', value: longestAsyncBlock, max: 1, unit: ' ms' },
  { text: '≤ 64 bytes/socket for the base table (snapshot netlink)', value: field('snapshot-netlink', 'bytesPerSocket'), max: 64, unit: ' B' },
];

/** Each target at the round with the largest N: { text, n, value, limit, pass, miss }. */
export function judgeTargets(rounds) {
  const round = rounds.reduce((a, b) => (b.n > a.n ? b : a));
  return TARGETS.map((t) => {
    const value = t.value(round);
    const limit = t.max ?? t.min;
    if (value === undefined) return { text: t.text, n: round.n, pass: null, miss: 'not measured' };
    const pass = t.max !== undefined ? (t.strict ? value < t.max : value <= t.max) : value >= t.min;
    // A miss says how far off: over a ceiling by a percentage, short of a floor by a factor.
    const miss = pass
      ? undefined
      : t.max !== undefined
        ? `${(((value - t.max) / t.max) * 100).toFixed(0)}% over`
        : `${(t.min / value).toFixed(2)}× short`;
    return { text: t.text, n: round.n, value, limit, unit: t.unit, pass, ...(miss && { miss }) };
  });
}

// The performance targets, judged side by side in one run at N = 100k and at
// 300k where measured (at the largest N when neither was, as in a --quick run).
import { pairedId } from '../contenders/paired.mjs';

const median = (id) => (round) => round.results[id]?.median;
const field = (id, key) => (round) => round.results[id]?.[key];
/** How many times `a` takes as long as `b`. */
const ratio = (a, b) => (round) => {
  const x = round.results[a]?.median;
  const y = round.results[b]?.median;
  return x === undefined || y === undefined ? undefined : x / y;
};
// The event loop's busy time during an async call (median over calls), of the library's
// calls: an upper bound of its longest block, since every block is part of it.
const longestAsyncBlock = (round) => {
  const busy = Object.values(round.results)
    .filter((r) => r.kind === 'library' && r.loopBusyMs !== undefined)
    .map((r) => r.loopBusyMs);
  return busy.length ? Math.max(...busy) : undefined;
};

// The ratios to the floor: from the run that alternated the call with the floor (paired.mjs)
// where there is one, else from the two rows measured one after the other.
const sideBySide = (id) => (round) => {
  const p = round.results[pairedId(id)];
  return p?.median !== undefined && p.floorMedian ? p.median / p.floorMedian : ratio(`${id}-netlink`, 'floor')(round);
};

// max: value must be at most `limit` (below it, if strict); min: at least. The floor is one
// netlink dump per family, in C, in-process.
export const TARGETS = [
  { text: 'countStates netlink ≤ 1.10× C floor', value: ratio('countStates-netlink', 'floor'), max: 1.1, unit: '×' },
  { text: 'full netlink table (snapshot) ≤ 1.35× C floor', value: ratio('snapshot-netlink', 'floor'), max: 1.35, unit: '×' },
  { text: 'countStates netlink ≥ 5× faster than the netstat pipeline', value: ratio('netstat-pipeline', 'countStates-netlink'), min: 5, unit: '×' },
  { text: 'snapshot netlink ≥ 3× faster than spawning ss -tan', value: ratio('ss-tan', 'snapshot-netlink'), min: 3, unit: '×' },
  { text: 'snapshot proc ≤ 1.10× bare read', value: ratio('snapshot-proc', 'bare-read'), max: 1.1, unit: '×' },
  { text: 'listenQueues < 1 ms', value: median('listenQueues'), max: 1, strict: true, unit: ' ms' },
  { text: 'no async library call keeps the event loop busy > 1 ms (in all, so no block is longer)', value: longestAsyncBlock, max: 1, unit: ' ms' },
  { text: '≤ 64 bytes/socket for the base table (snapshot netlink)', value: field('snapshot-netlink', 'bytesPerSocket'), max: 64, unit: ' B' },
  // Partitioned dumps: beat the single dump per family.
  { text: 'countStates ≤ 0.60× C floor (partitioned; side by side)', value: sideBySide('countStates'), max: 0.6, unit: '×' },
  { text: 'full table (snapshot) ≤ 0.75× C floor (partitioned; side by side)', value: sideBySide('snapshot'), max: 0.75, unit: '×' },
  { text: 'countStates ≥ 9× faster than the netstat pipeline', value: ratio('netstat-pipeline', 'countStates-netlink'), min: 9, unit: '×' },
  { text: 'snapshot ≥ 5× faster than spawning ss -tan', value: ratio('ss-tan', 'snapshot-netlink'), min: 5, unit: '×' },
];

const JUDGED_AT = [100_000, 300_000];

function judge(t, round) {
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
}

/** Every target at each judged N: [{ text, n, value, limit, pass, miss }], 100k first. */
export function judgeTargets(rounds) {
  let judged = rounds.filter((r) => JUDGED_AT.includes(r.n)).sort((a, b) => a.n - b.n);
  if (judged.length === 0) judged = [rounds.reduce((a, b) => (b.n > a.n ? b : a))];
  return judged.flatMap((round) => TARGETS.map((t) => judge(t, round)));
}

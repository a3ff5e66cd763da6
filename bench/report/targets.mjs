// The performance targets, judged side by side in one run at N = 100k and at 300k where
// measured, some at 1M too (at the largest N when none was, as in a --quick run). A target
// judges the rounds of its fixture mix: the default one, or the TIME_WAIT-heavy one.
import { pairedId } from '../contenders/paired.mjs';
import { COUNT_BY } from '../contenders/sockscope.mjs';
import { mixOf } from '../lib/rounds.mjs';

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

// countBy over the snapshot() it alternated with (paired.mjs): the ratio of one machine-minute.
const overSnapshot = (id) => (round) => {
  const p = round.results[id];
  return p?.median !== undefined && p.snapshotMedian ? p.median / p.snapshotMedian : undefined;
};

const BASE_N = 100_000;
// A call's memory at this round's N over its memory at 100k (same mix, same run): the peak RSS
// growth of its first call (measure.mjs), which holds what it allocates and frees inside.
const memoryGrowth = (id) => (round, rounds) => {
  const base = rounds.find((r) => r.n === BASE_N && mixOf(r) === mixOf(round));
  const at = round.results[id]?.memory?.peakRssGrowthBytes;
  const from = base?.results[id]?.memory?.peakRssGrowthBytes;
  return at === undefined || !from ? undefined : at / from;
};

// The table a TIME_WAIT target is about must be at least half TIME_WAIT when measured.
const halfTimeWait = (round) => {
  const share = (round.observed?.TIME_WAIT ?? 0) / (round.observed?.total || 1);
  return share >= 0.5 ? undefined : `the table held ${(share * 100).toFixed(0)}% TIME_WAIT, not half`;
};

const SCALE = [100_000, 300_000, 1_000_000]; // the ratios that must hold up to the largest hosts

// max: value must be at most `limit` (below it, if strict); min: at least. The floor is one
// netlink dump per family, in C, in-process. at: the N judged (100k and 300k unless given);
// mix: the fixture mix judged (the default unless given); unless(round): why it cannot be judged.
export const TARGETS = [
  { text: 'countStates netlink ≤ 1.10× C floor', value: ratio('countStates-netlink', 'floor'), max: 1.1, unit: '×', at: SCALE },
  { text: 'full netlink table (snapshot) ≤ 1.35× C floor', value: ratio('snapshot-netlink', 'floor'), max: 1.35, unit: '×', at: SCALE },
  { text: 'countStates netlink ≥ 5× faster than the netstat pipeline', value: ratio('netstat-pipeline', 'countStates-netlink'), min: 5, unit: '×' },
  { text: 'snapshot netlink ≥ 3× faster than spawning ss -tan', value: ratio('ss-tan', 'snapshot-netlink'), min: 3, unit: '×' },
  { text: 'snapshot proc ≤ 1.10× bare read', value: ratio('snapshot-proc', 'bare-read'), max: 1.1, unit: '×' },
  { text: 'listenQueues < 1 ms', value: median('listenQueues'), max: 1, strict: true, unit: ' ms' },
  { text: 'no async library call keeps the event loop busy > 1 ms (in all, so no block is longer)', value: longestAsyncBlock, max: 1, unit: ' ms', at: SCALE },
  { text: '≤ 64 bytes/socket for the base table (snapshot netlink)', value: field('snapshot-netlink', 'bytesPerSocket'), max: 64, unit: ' B', at: SCALE },
  // Partitioned dumps: beat the single dump per family.
  { text: 'countStates ≤ 0.60× C floor (partitioned; side by side)', value: sideBySide('countStates'), max: 0.6, unit: '×', at: SCALE },
  { text: 'full table (snapshot) ≤ 0.75× C floor (partitioned; side by side)', value: sideBySide('snapshot'), max: 0.75, unit: '×', at: SCALE },
  { text: 'countStates ≥ 9× faster than the netstat pipeline', value: ratio('netstat-pipeline', 'countStates-netlink'), min: 9, unit: '×' },
  { text: 'snapshot ≥ 5× faster than spawning ss -tan', value: ratio('ss-tan', 'snapshot-netlink'), min: 5, unit: '×' },
  // Group-by in C++: no dearer than the table, memory with the groups, the work off the loop.
  ...COUNT_BY.flatMap(({ suffix, by }) => {
    const keys = [by].flat().join('+');
    return [
      { text: `countBy by ${keys} ≤ 1.00× snapshot() (side by side)`, value: overSnapshot(`paired-countBy-${suffix}`), max: 1, unit: '×', at: SCALE },
      {
        text: `countBy by ${keys}: peak memory of a call ≤ 1.2× its peak at 100k (it does not grow with N)`,
        value: memoryGrowth(`countBy-${suffix}`),
        max: 1.2,
        unit: '×',
        at: [300_000, 1_000_000],
      },
      { text: `countBy by ${keys} keeps the event loop busy ≤ 1 ms a call (the work on the threadpool)`, value: field(`countBy-${suffix}`, 'loopBusyMs'), max: 1, unit: ' ms', at: SCALE },
    ];
  }),
  // State counts on a server that closes many short connections.
  {
    text: 'countStates ≤ 0.25× C floor on a table at least half TIME_WAIT (side by side)',
    value: sideBySide('countStates'),
    max: 0.25,
    unit: '×',
    at: [100_000],
    mix: 'timewait',
    unless: halfTimeWait,
  },
];

const JUDGED_AT = [100_000, 300_000];

function judge(t, round, rounds) {
  const value = t.value(round, rounds);
  const limit = t.max ?? t.min;
  const where = { text: t.text, n: round.n, ...(t.mix && { mix: t.mix }) };
  if (value === undefined) return { ...where, pass: null, miss: 'not measured' };
  const unfit = t.unless?.(round);
  if (unfit) return { ...where, value, limit, unit: t.unit, pass: null, miss: unfit };
  const pass = t.max !== undefined ? (t.strict ? value < t.max : value <= t.max) : value >= t.min;
  // A miss says how far off: over a ceiling by a percentage, short of a floor by a factor.
  const miss = pass
    ? undefined
    : t.max !== undefined
      ? `${(((value - t.max) / t.max) * 100).toFixed(0)}% over`
      : `${(t.min / value).toFixed(2)}× short`;
  return { ...where, value, limit, unit: t.unit, pass, ...(miss && { miss }) };
}

/** The rounds a target judges: its mix's at its N, else (a quick run) that mix's largest. */
function roundsFor(t, rounds) {
  const ofMix = rounds.filter((r) => mixOf(r) === (t.mix ?? 'default'));
  const at = ofMix.filter((r) => (t.at ?? JUDGED_AT).includes(r.n));
  if (at.length || ofMix.length === 0) return at;
  return [ofMix.reduce((a, b) => (b.n > a.n ? b : a))];
}

/** Every target at each judged N: [{ text, n, mix?, value, limit, pass, miss }], by N, then in TARGETS order. */
export function judgeTargets(rounds) {
  const judged = TARGETS.flatMap((t, order) => roundsFor(t, rounds).map((round) => ({ order, round, t })));
  judged.sort((a, b) => a.round.n - b.round.n || a.order - b.order);
  // A target of a mix the run did not fill is said to be unjudged, not left out.
  const unfilled = TARGETS.filter((t) => t.mix && !rounds.some((r) => mixOf(r) === t.mix)).map((t) => ({
    text: t.text,
    n: t.at?.[0] ?? JUDGED_AT[0],
    mix: t.mix,
    pass: null,
    miss: `no round of the ${t.mix} mix`,
  }));
  return [...judged.map(({ t, round }) => judge(t, round, rounds)), ...unfilled];
}

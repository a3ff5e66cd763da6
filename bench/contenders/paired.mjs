// Ratios measured side by side: the library's call and a reference alternate in short blocks in
// one process, so both see the same machine. On a VM whose vCPUs change speed from minute to
// minute, rows measured one after another can differ by 25% either way. The references:
// - the C floor (one dump per family), from issue 9's targets. It runs in a child that stays up
//   (`nl_count --serve`): no process is spawned between the library's calls (after a fork, the
//   parent's next writes fault page by page);
// - snapshot() of the same table, for countBy, which must cost no more than the table.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

import { buildFloor } from '../floor/build.mjs';
import { summarize } from '../lib/stats.mjs';
import { COUNT_BY, libraryFunction, reported } from './sockscope.mjs';

const BLOCKS = 15; // blocks of each, alternated
const PER_BLOCK = 3; // calls (or reference repetitions) in a block

/** The C floor as a reference: one timed repetition a call, in ms. */
function floorServer() {
  const child = spawn(buildFloor(), ['--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async once() {
      child.stdin.write('1\n');
      const { value, done } = await lines.next();
      if (done) throw new Error('nl_count --serve ended early');
      return JSON.parse(value).medianNs / 1e6;
    },
    close: () => child.stdin.end(),
  };
}

/** A library call as a reference, timed here like the call it alternates with. */
async function libraryReference(fn) {
  const f = await libraryFunction(fn);
  return () => ({
    async once() {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    },
    close: () => {},
  });
}

const REFERENCES = {
  floor: { label: 'the C floor', open: async () => floorServer },
  snapshot: { label: 'snapshot()', open: () => libraryReference('snapshot') },
};

/** The forced K measured on `cores` cores: 1, 2, and the cores where they are more. */
export const forcedKs = (cores) => [...new Set([1, 2, cores])];
/** The contender id of fn's default call, or (k) of one forced to k partitions. */
export const pairedId = (fn, k) => (k === undefined ? `paired-${fn}` : `paired-${fn}-k${k}`);

/**
 * `call` and `versus` in turns; `versus`'s median, p25 and p75 go under its name
 * (floorMedian, snapshotMedian, ...) beside the call's own.
 */
const paired = ({ id, fn, arg, text, versus }) => ({
  id,
  label: `sockscope ${fn}(${text}) alternated with ${REFERENCES[versus].label}`,
  kind: 'library',
  versus,
  prepare: async () => {
    const f = await libraryFunction(fn);
    const openReference = await REFERENCES[versus].open();
    const call = () => f(arg);
    return {
      measure: async () => {
        const reference = openReference();
        try {
          const lib = [], base = [];
          let last;
          for (let i = 0; i < 3; i++) last = await call(), await reference.once(); // warm-up
          for (let b = 0; b < BLOCKS; b++) {
            for (let i = 0; i < PER_BLOCK; i++) base.push(await reference.once());
            for (let i = 0; i < PER_BLOCK; i++) {
              const t0 = performance.now();
              last = await call();
              lib.push(performance.now() - t0);
            }
          }
          const r = summarize(base);
          return {
            ...summarize(lib),
            samples: lib.length,
            reported: reported(last),
            [`${versus}Median`]: r.median,
            [`${versus}P25`]: r.p25,
            [`${versus}P75`]: r.p75,
          };
        } finally {
          reference.close();
        }
      },
    };
  },
});

const versusFloor = (fn, k) =>
  paired({ id: pairedId(fn, k), fn, arg: k === undefined ? undefined : { partitions: k }, text: k === undefined ? '' : `{partitions:${k}}`, versus: 'floor' });

/** countBy's rows alternated with snapshot(): `paired-countBy-${suffix}`. */
const versusSnapshot = ({ suffix, by }) =>
  paired({ id: `paired-countBy-${suffix}`, fn: 'countBy', arg: { by }, text: `{by:${[by].flat().join(',')}}`, versus: 'snapshot' });

export default [
  ...['countStates', 'snapshot'].flatMap((fn) => [versusFloor(fn), ...forcedKs(availableParallelism()).map((k) => versusFloor(fn, k))]),
  ...COUNT_BY.map(versusSnapshot),
];

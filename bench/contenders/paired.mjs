// Issue 9's ratios measured side by side: the library's call and the C floor (one dump per
// family) alternate in short blocks in one process, so both see the same machine. On a VM whose
// vCPUs change speed from minute to minute, rows measured one after another can differ by 25%
// either way. The floor runs in a child that stays up (`nl_count --serve`): no process is spawned
// between the library's calls (after a fork, the parent's next writes fault page by page).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

import { buildFloor } from '../floor/build.mjs';
import { summarize } from '../lib/stats.mjs';
import { libraryFunction, reported } from './sockscope.mjs';

const BLOCKS = 15; // blocks of each, alternated
const PER_BLOCK = 3; // calls (or floor repetitions) in a block

function floorServer() {
  const child = spawn(buildFloor(), ['--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    /** One timed floor repetition, in ms. */
    async once() {
      child.stdin.write('1\n');
      const { value, done } = await lines.next();
      if (done) throw new Error('nl_count --serve ended early');
      return JSON.parse(value).medianNs / 1e6;
    },
    close: () => child.stdin.end(),
  };
}

/** The forced K measured on `cores` cores: 1, 2, and the cores where they are more. */
export const forcedKs = (cores) => [...new Set([1, 2, cores])];
/** The contender id of fn's default call, or (k) of one forced to k partitions. */
export const pairedId = (fn, k) => (k === undefined ? `paired-${fn}` : `paired-${fn}-k${k}`);

const paired = (fn, k) => ({
  id: pairedId(fn, k),
  label: `sockscope ${fn}(${k === undefined ? '' : `{partitions:${k}}`}) alternated with the C floor`,
  kind: 'library',
  prepare: async () => {
    const f = await libraryFunction(fn);
    const call = k === undefined ? () => f() : () => f({ partitions: k });
    return {
      measure: async () => {
        const floor = floorServer();
        try {
          const lib = [], base = [];
          let last;
          for (let i = 0; i < 3; i++) last = await call(), await floor.once(); // warm-up
          for (let b = 0; b < BLOCKS; b++) {
            for (let i = 0; i < PER_BLOCK; i++) base.push(await floor.once());
            for (let i = 0; i < PER_BLOCK; i++) {
              const t0 = performance.now();
              last = await call();
              lib.push(performance.now() - t0);
            }
          }
          const f = summarize(base);
          return { ...summarize(lib), samples: lib.length, reported: reported(last), floorMedian: f.median, floorP25: f.p25, floorP75: f.p75 };
        } finally {
          floor.close();
        }
      },
    };
  },
});

export default ['countStates', 'snapshot'].flatMap((fn) => [paired(fn), ...forcedKs(availableParallelism()).map((k) => paired(fn, k))]);

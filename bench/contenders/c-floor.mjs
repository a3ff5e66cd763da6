// The netlink floor in C (floor/nl_count.c): timed inside the process over R repetitions,
// per family and with one combined legacy dump, and once more as a whole spawned process,
// to compare with the spawned tools.
import { buildFloor } from '../floor/build.mjs';
import { spawnText } from './spawn-text.mjs';

const runFloor = async (args) => JSON.parse(await spawnText(buildFloor(), args));

/** A contender timed by nl_count itself; samples are its repetitions. */
const selfTimed = (id, label, flags) => ({
  id,
  label,
  kind: 'floor',
  prepare: ({ reps }) => ({
    measure: async () => {
      const r = await runFloor(['--reps', String(reps), ...flags]);
      return { median: r.medianNs / 1e6, p25: r.p25Ns / 1e6, p75: r.p75Ns / 1e6, samples: r.reps, reported: r.total, counts: r.counts };
    },
  }),
});

export default [
  selfTimed('floor', 'C floor: netlink per family (in-process)', []),
  selfTimed('floor-combined', 'C floor: one legacy dump, both families', ['--combined']),
  {
    id: 'floor-process',
    label: 'C floor as a spawned process',
    kind: 'tool',
    prepare: () => ({ run: () => runFloor(['--reps', '1']), count: (r) => r.total }),
  },
];

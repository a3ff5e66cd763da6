// The library's own calls, from the built dist/. Each is skipped with a note until the
// library exports it, so the bench runs before the library is finished.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import { Skip } from './skip.mjs';

const DIST = new URL('../../dist/index.js', import.meta.url);

export async function libraryFunction(name) {
  if (!existsSync(fileURLToPath(DIST))) throw new Skip('dist/index.js not built yet');
  let lib;
  try {
    lib = await import(DIST.href);
  } catch (err) {
    throw new Skip(`dist/index.js fails to load: ${err.message.split('\n')[0]}`);
  }
  if (typeof lib[name] !== 'function') throw new Skip(`dist/index.js does not export ${name}()`);
  return lib[name];
}

/** Sockets a library result holds: a counts object's total, or a table's or list's length. */
export function reported(result) {
  if (typeof result?.total === 'number') return result.total;
  for (const key of ['length', 'size', 'rows']) if (typeof result?.[key] === 'number') return result[key];
  return undefined;
}

/** countBy's rows: the id's suffix and the keys (`countBy-${suffix}`, `paired-countBy-${suffix}`). */
export const COUNT_BY = [
  { suffix: 'remotePrefix', by: 'remotePrefix' },
  { suffix: 'state-localPort', by: ['state', 'localPort'] },
];

// Each call: id, the exported function, its argument, async or sync.
const CALLS = [
  ['countStates-netlink', 'countStates', { source: 'netlink' }, true],
  ['countStatesSync-netlink', 'countStatesSync', { source: 'netlink' }, false],
  ['countStates-proc', 'countStates', { source: 'proc' }, true],
  ['snapshot-netlink', 'snapshot', { source: 'netlink' }, true],
  ['snapshotSync-netlink', 'snapshotSync', { source: 'netlink' }, false],
  ['snapshot-proc', 'snapshot', { source: 'proc' }, true],
  ['snapshotSync-proc', 'snapshotSync', { source: 'proc' }, false],
  ['listenQueues', 'listenQueues', undefined, true],
  // Groups counted in C++ as the dump is parsed: no table.
  ...COUNT_BY.map(({ suffix, by }) => [`countBy-${suffix}`, 'countBy', { by }, true]),
  // Partitioned dumps (issue 9) at K = 1 (one combined dump), 2 and the core count, forced.
  ...partitionCalls('countStates'),
  ...partitionCalls('snapshot'),
];

function partitionCalls(fn) {
  const ks = [['k1', 1], ['k2', 2], ['kcores', availableParallelism()]];
  return ks.map(([suffix, k]) => [`${fn}-${suffix}`, fn, { source: 'netlink', partitions: k }, true]);
}

const label = (id, fn, arg) =>
  `sockscope ${fn}(${arg ? JSON.stringify(arg).replaceAll('"', '') : ''})${id.endsWith('-kcores') ? ' (K = cores)' : ''}`;

const calls = CALLS.map(([id, fn, arg, isAsync]) => ({
  id,
  label: label(id, fn, arg),
  kind: 'library',
  // What the call's result holds, to check it against the kernel: listeners, or every socket.
  ...(id === 'listenQueues' && { reportsState: 'LISTEN' }),
  table: fn.startsWith('snapshot'),
  prepare: async () => {
    const f = await libraryFunction(fn);
    // listenQueues may be sync or async; awaiting a plain value costs a microtask only.
    const run = isAsync ? async () => f(arg) : () => f(arg);
    return { run, count: reported };
  },
}));

// One sample from watch(): its first value, then the iterator is closed.
const watchSample = {
  id: 'watch',
  label: 'sockscope watch({intervalMs:1000}) first value',
  kind: 'library',
  prepare: async () => {
    const watch = await libraryFunction('watch');
    const run = async () => {
      for await (const value of watch({ intervalMs: 1000 })) return value;
      throw new Error('watch() ended without a value');
    };
    return { run, count: reported };
  },
};

export default [...calls, watchSample];

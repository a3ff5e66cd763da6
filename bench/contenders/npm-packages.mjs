// npm packages people reach for today. Both spawn netstat (with -p, which walks every
// process's fds) and parse its text.
import { createRequire } from 'node:module';

import { Skip } from './skip.mjs';

const require = createRequire(import.meta.url);

function load(name) {
  try {
    return require(name);
  } catch (err) {
    throw new Skip(`${name} not installed (${err.code ?? err.message})`);
  }
}

const isTcp = (protocol) => String(protocol).startsWith('tcp');
// Both grow faster than linearly: 2.3 s a call at 100k, and at 300k neither finished in 600 s
// (2026-11-22, 2 cores). Past 100k they are skipped, saying so, rather than holding the sweep.
const timeoutMs = 400_000;
const maxN = 100_000;
const maxNReason = 'at 300k it did not finish in 600 s (2026-11-22)';

export default [
  {
    id: 'systeminformation',
    label: 'systeminformation networkConnections()',
    kind: 'npm',
    timeoutMs,
    maxN,
    maxNReason,
    prepare: () => {
      const si = load('systeminformation');
      return { run: () => si.networkConnections(), count: (list) => list.filter((c) => isTcp(c.protocol)).length };
    },
  },
  {
    id: 'node-netstat',
    label: 'node-netstat (all lines)',
    kind: 'npm',
    timeoutMs,
    maxN,
    maxNReason,
    prepare: () => {
      const netstat = load('node-netstat');
      const run = () =>
        new Promise((resolve, reject) => {
          const items = [];
          netstat({ done: (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(items)) }, (item) => {
            items.push(item);
          });
        });
      return { run, count: (items) => items.filter((i) => isTcp(i.protocol)).length };
    },
  },
];

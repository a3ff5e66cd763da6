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
// Both grow faster than linearly (2.3 s a call at 100k, over 600 s at 300k on 2 cores): past
// two minutes a measurement says no more than "too slow", and it holds the sweep up.
const timeoutMs = 120_000;

export default [
  {
    id: 'systeminformation',
    label: 'systeminformation networkConnections()',
    kind: 'npm',
    timeoutMs,
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

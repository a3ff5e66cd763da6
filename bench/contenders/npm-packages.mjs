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

export default [
  {
    id: 'systeminformation',
    label: 'systeminformation networkConnections()',
    kind: 'npm',
    prepare: () => {
      const si = load('systeminformation');
      return { run: () => si.networkConnections(), count: (list) => list.filter((c) => isTcp(c.protocol)).length };
    },
  },
  {
    id: 'node-netstat',
    label: 'node-netstat (all lines)',
    kind: 'npm',
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

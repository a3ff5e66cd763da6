#!/usr/bin/env node
// Times the owner scan (processes: true) against the same snapshot without it, over N real
// loopback connections held by this process: `node bench/processes.mjs [N...] [--reads K]`.
// 2N + 1 sockets (both ends and the listener) must fit under `ulimit -n`.
import { once } from 'node:events';
import net from 'node:net';
import { parseArgs } from 'node:util';

import { snapshot } from '../dist/index.js';

const { values, positionals } = parseArgs({ options: { reads: { type: 'string', default: '30' } }, allowPositionals: true });
const sizes = positionals.length ? positionals.map(Number) : [1_000, 5_000];
const reads = Number(values.reads);

async function median(fn) {
  const ms = [];
  for (let i = 0; i < reads; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  return Number(ms.sort((a, b) => a - b)[ms.length >> 1].toFixed(2));
}

const server = net.createServer((s) => held.push(s)).listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
await once(server, 'listening');
const { port } = server.address();
const held = [];
for (const n of sizes) {
  while (held.length < 2 * n) {
    const batch = Array.from({ length: Math.min(500, n - held.length / 2) }, () => net.connect({ host: '127.0.0.1', port }));
    await Promise.all(batch.map((c) => once(c, 'connect')));
    held.push(...batch);
    while (held.length % 2) await new Promise((r) => setImmediate(r)); // accepted sides arrive
  }
  const options = { states: ['ESTABLISHED'] };
  await snapshot({ ...options, processes: true }); // warm-up
  const plain = await median(() => snapshot(options));
  const owned = await median(() => snapshot({ ...options, processes: true }));
  const { processScan } = await snapshot({ ...options, processes: true });
  console.log(JSON.stringify({ sockets: 2 * n, reads, snapshotMs: plain, withProcessesMs: owned, scanMs: Number((owned - plain).toFixed(2)), processScan }));
}
for (const s of held) s.destroy();
server.close();
